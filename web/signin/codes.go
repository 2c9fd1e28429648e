package signin

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/tasharuk/tasharuk/internal/session"
	"github.com/tasharuk/tasharuk/privacy"
)

// Channel is where a one-time code is sent.
type Channel string

// The channels.
const (
	Email Channel = "email"
	SMS   Channel = "sms"
)

// Sender delivers a message to an address (an email address or an E.164
// phone number). Errors must not quote the address.
type Sender interface {
	Send(ctx context.Context, to, subject, body string) error
}

// Limits of one-time codes (the defaults of CodesConfig).
const (
	DefaultCodeTTL      = 10 * time.Minute
	DefaultMaxFailures  = 5
	DefaultLockout      = 15 * time.Minute
	DefaultSendsPerAddr = 3  // codes sent to one address per Window
	DefaultSendsPerIP   = 10 // codes asked from one client address per Window
	DefaultTriesPerIP   = 30 // codes tried from one client address per Window
	DefaultWindow       = 15 * time.Minute
)

// CodesConfig configures Codes.
type CodesConfig struct {
	// Email and SMS send the codes; a nil one is a channel not offered.
	Email, SMS Sender
	// Hash is the keyed hash of a verified address (privacy.Keys
	// AccountKey): an account's subject is "email:" or "phone:" and it, so
	// the address is never in the log, the logs or a page.
	Hash func(kind, address string) string
	// Key keys the stored hashes of the codes (random if nil).
	Key []byte
	// Grants, if set, gives roles granted by the installation.
	Grants Grants
	// Contacts, if set, is told each address an account proved it holds
	// (a code sent there typed back), so messages about the account's own
	// petitions reach it; it is called after the code is spent and its
	// failure does not refuse the sign-in (it logs what it must).
	Contacts                             ContactRecorder
	TTL, Lockout, Window                 time.Duration
	MaxFailures                          int
	SendsPerAddr, SendsPerIP, TriesPerIP int
	Now                                  func() time.Time
}

// ContactRecorder records a verified contact detail of an account (kind
// "email" or "phone", the address normalised).
type ContactRecorder interface {
	RecordVerifiedContact(ctx context.Context, kind, address string)
}

// Codes issues and checks one-time sign-in codes: six digits from
// crypto/rand, single use, valid TTL, compared in constant time, limited
// per address and per client address, and locked after MaxFailures wrong
// tries for Lockout. State is in memory (a restart voids codes under way).
type Codes struct {
	cfg CodesConfig

	mu      sync.Mutex
	addrs   map[[32]byte]*addrState
	tickets map[[32]byte]ticket
	ips     map[string]*ipState
}

// addrState is what is known of one address (keyed by its keyed hash).
type addrState struct {
	code      [32]byte // HMAC of the pending code; zero when none
	expires   time.Time
	failures  int
	lockedTil time.Time
	sends     []time.Time
}

// ticket links the code-entry form to the address it was sent to, so the
// address is not carried in a URL.
type ticket struct {
	channel Channel
	address string
	expires time.Time
}

type ipState struct {
	sends, tries []time.Time
}

// Refusals of Codes; the pages show each in the reader's language.
var (
	ErrAddress     = errors.New("signin: not a valid address")
	ErrChannel     = errors.New("signin: this sign-in channel is not offered")
	ErrTooMany     = errors.New("signin: too many codes asked; wait before asking again")
	ErrLocked      = errors.New("signin: too many wrong codes; this address is locked for a while")
	ErrWrongCode   = errors.New("signin: wrong or expired code")
	ErrNoTicket    = errors.New("signin: this code form has expired; ask for a new code")
	ErrUndelivered = errors.New("signin: the code could not be sent")
)

// NewCodes returns the code issuer of cfg.
func NewCodes(cfg CodesConfig) (*Codes, error) {
	if cfg.Hash == nil {
		return nil, errors.New("signin: codes need a keyed hash for subjects")
	}
	if cfg.Email == nil && cfg.SMS == nil {
		return nil, errors.New("signin: codes need an email or SMS sender")
	}
	if len(cfg.Key) == 0 {
		cfg.Key = make([]byte, 32)
		_, _ = rand.Read(cfg.Key)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defi := func(d *int, v int) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.TTL, DefaultCodeTTL)
	def(&cfg.Lockout, DefaultLockout)
	def(&cfg.Window, DefaultWindow)
	defi(&cfg.MaxFailures, DefaultMaxFailures)
	defi(&cfg.SendsPerAddr, DefaultSendsPerAddr)
	defi(&cfg.SendsPerIP, DefaultSendsPerIP)
	defi(&cfg.TriesPerIP, DefaultTriesPerIP)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Codes{cfg: cfg, addrs: map[[32]byte]*addrState{}, tickets: map[[32]byte]ticket{}, ips: map[string]*ipState{}}, nil
}

// Subject is the account of a normalised address: "email:<hash>" or
// "phone:<hash>".
func (c *Codes) Subject(ch Channel, address string) string {
	kind := "email"
	if ch == SMS {
		kind = "phone"
	}
	return kind + ":" + c.cfg.Hash(kind, address)
}

func (ch Channel) method() session.Method {
	if ch == SMS {
		return session.MethodSMSCode
	}
	return session.MethodEmailCode
}

// Offers reports whether a channel is configured.
func (c *Codes) Offers(ch Channel) bool {
	return c != nil && c.sender(ch) != nil
}

// TTL is how long a code is valid.
func (c *Codes) TTL() time.Duration { return c.cfg.TTL }

func (c *Codes) sender(ch Channel) Sender {
	switch ch {
	case Email:
		return c.cfg.Email
	case SMS:
		return c.cfg.SMS
	}
	return nil
}

// Normalize returns the canonical form of an address: an email address
// lower-cased, a phone number in E.164 (a Moroccan 0XXXXXXXXX becomes
// +212XXXXXXXXX; 00 becomes +). The rules are privacy's, which `tasharuk
// users add --email/--phone` uses too, so both name one account.
func Normalize(ch Channel, raw string) (string, error) {
	var s string
	var err error
	switch ch {
	case Email:
		s, err = privacy.NormalizeEmail(raw)
	case SMS:
		s, err = privacy.NormalizePhone(raw)
	default:
		return "", ErrChannel
	}
	if err != nil {
		return "", ErrAddress
	}
	return s, nil
}

func (c *Codes) addrKey(ch Channel, address string) [32]byte {
	m := hmac.New(sha256.New, c.cfg.Key)
	m.Write([]byte("address|" + string(ch) + "|" + address))
	return [32]byte(m.Sum(nil))
}

func (c *Codes) codeMAC(k [32]byte, code string) [32]byte {
	m := hmac.New(sha256.New, c.cfg.Key)
	m.Write([]byte("code|"))
	m.Write(k[:])
	m.Write([]byte(code))
	return [32]byte(m.Sum(nil))
}

// recent drops the times before the window and reports whether fewer than
// max are left.
func recent(ts *[]time.Time, now time.Time, window time.Duration, max int) bool {
	kept := (*ts)[:0]
	for _, t := range *ts {
		if now.Sub(t) < window {
			kept = append(kept, t)
		}
	}
	*ts = kept
	return len(kept) < max
}

// Message renders the text that carries a code, in the reader's language;
// nil gives an English one.
type Message func(code string, ttl time.Duration) (subject, body string)

func englishMessage(code string, ttl time.Duration) (string, string) {
	return "Your tasharuk code: " + code, fmt.Sprintf("Your sign-in code is %s. It is valid for %d minutes and works once.", code, int(ttl.Minutes()))
}

// Send issues a code for address (raw, as typed) over ch and sends it
// with msg; clientIP is the asking browser's address. It returns the
// ticket the code form carries. A new code replaces the address's
// previous one.
func (c *Codes) Send(ctx context.Context, ch Channel, raw, clientIP string, msg Message) (string, error) {
	sender := c.sender(ch)
	if sender == nil {
		return "", ErrChannel
	}
	address, err := Normalize(ch, raw)
	if err != nil {
		return "", err
	}
	now := c.cfg.Now()
	k := c.addrKey(ch, address)
	code, err := sixDigits()
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	ip := c.ip(clientIP)
	a := c.addrs[k]
	if a == nil {
		a = &addrState{}
		c.addrs[k] = a
	}
	switch {
	case now.Before(a.lockedTil):
		c.mu.Unlock()
		return "", ErrLocked
	case !recent(&ip.sends, now, c.cfg.Window, c.cfg.SendsPerIP), !recent(&a.sends, now, c.cfg.Window, c.cfg.SendsPerAddr):
		c.mu.Unlock()
		return "", ErrTooMany
	}
	ip.sends = append(ip.sends, now)
	a.sends = append(a.sends, now)
	a.code, a.expires = c.codeMAC(k, code), now.Add(c.cfg.TTL)
	t := session.NewID()
	c.tickets[sha256.Sum256([]byte(t))] = ticket{channel: ch, address: address, expires: now.Add(c.cfg.TTL)}
	c.sweepLocked(now)
	c.mu.Unlock()

	if msg == nil {
		msg = englishMessage
	}
	subject, body := msg(code, c.cfg.TTL)
	if err := sender.Send(ctx, address, subject, body); err != nil {
		return "", fmt.Errorf("%w: %w", ErrUndelivered, err)
	}
	return t, nil
}

// Verify checks the code typed on the form of ticket t. On success the
// code is spent and the account returned; a wrong code counts toward the
// address's lockout.
func (c *Codes) Verify(ctx context.Context, t, code, clientIP string) (Identity, error) {
	now := c.cfg.Now()
	code = strings.TrimSpace(code)
	c.mu.Lock()
	tk, ok := c.tickets[sha256.Sum256([]byte(t))]
	if !ok || !now.Before(tk.expires) {
		c.mu.Unlock()
		return Identity{}, ErrNoTicket
	}
	ip := c.ip(clientIP)
	if !recent(&ip.tries, now, c.cfg.Window, c.cfg.TriesPerIP) {
		c.mu.Unlock()
		return Identity{}, ErrTooMany
	}
	ip.tries = append(ip.tries, now)
	k := c.addrKey(tk.channel, tk.address)
	a := c.addrs[k]
	if a == nil {
		c.mu.Unlock()
		return Identity{}, ErrNoTicket
	}
	if now.Before(a.lockedTil) {
		c.mu.Unlock()
		return Identity{}, ErrLocked
	}
	mac := c.codeMAC(k, code)
	var zero [32]byte
	good := a.code != zero && now.Before(a.expires) && subtle.ConstantTimeCompare(mac[:], a.code[:]) == 1
	if !good {
		a.failures++
		if a.failures >= c.cfg.MaxFailures {
			a.failures, a.lockedTil, a.code = 0, now.Add(c.cfg.Lockout), zero
			c.mu.Unlock()
			return Identity{}, ErrLocked
		}
		c.mu.Unlock()
		return Identity{}, ErrWrongCode
	}
	// Single use: the code and every form that could carry it are spent.
	a.code, a.failures = zero, 0
	for h, x := range c.tickets {
		if x.channel == tk.channel && x.address == tk.address {
			delete(c.tickets, h)
		}
	}
	c.mu.Unlock()

	if c.cfg.Contacts != nil {
		kind := "email"
		if tk.channel == SMS {
			kind = "phone"
		}
		c.cfg.Contacts.RecordVerifiedContact(ctx, kind, tk.address)
	}
	return resolve(ctx, c.cfg.Grants, Identity{Subject: c.Subject(tk.channel, tk.address), Method: tk.channel.method()})
}

func (c *Codes) ip(addr string) *ipState {
	s := c.ips[addr]
	if s == nil {
		s = &ipState{}
		c.ips[addr] = s
	}
	return s
}

// sweepLocked forgets expired tickets and quiet addresses, so memory
// follows the traffic of the last window.
func (c *Codes) sweepLocked(now time.Time) {
	if len(c.tickets)+len(c.addrs)+len(c.ips) < 4096 {
		return
	}
	for h, t := range c.tickets {
		if !now.Before(t.expires) {
			delete(c.tickets, h)
		}
	}
	for k, a := range c.addrs {
		recent(&a.sends, now, c.cfg.Window, 1<<30)
		if !now.Before(a.expires) && !now.Before(a.lockedTil) && len(a.sends) == 0 {
			delete(c.addrs, k)
		}
	}
	for k, s := range c.ips {
		recent(&s.sends, now, c.cfg.Window, 1<<30)
		recent(&s.tries, now, c.cfg.Window, 1<<30)
		if len(s.sends) == 0 && len(s.tries) == 0 {
			delete(c.ips, k)
		}
	}
}

// sixDigits is a uniformly random code 000000–999999.
func sixDigits() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}
