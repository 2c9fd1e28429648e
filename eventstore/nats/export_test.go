package natsstore

// LoadOrCreateSeedForTest loads or creates user's seed in keysDir and
// returns its public key.
func LoadOrCreateSeedForTest(keysDir, user string) (string, error) {
	kp, err := loadOrCreateSeed(SeedFile(keysDir, user))
	if err != nil {
		return "", err
	}
	return kp.PublicKey()
}
