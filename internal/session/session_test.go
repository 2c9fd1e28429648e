package session

import (
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestSessionLifetimes(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	st := New(Options{Idle: 30 * time.Minute, Absolute: 12 * time.Hour, Now: c.now})
	s := st.Create(Session{ID: "chosen-by-the-browser", Subject: "email:x", Method: MethodEmailCode, Role: "citizen"})
	if s.ID == "chosen-by-the-browser" || len(s.ID) != 43 || s.CSRF == "" || s.CSRF == s.ID {
		t.Fatalf("new session id %q csrf %q: want fresh 256-bit values", s.ID, s.CSRF)
	}
	if _, err := st.Get("chosen-by-the-browser"); err != ErrNoSession {
		t.Fatal("the id the caller offered names a session")
	}
	// Used every 29 minutes, it lives until the absolute limit.
	for c.t.Before(s.Created.Add(12*time.Hour - 29*time.Minute)) {
		c.t = c.t.Add(29 * time.Minute)
		if _, err := st.Get(s.ID); err != nil {
			t.Fatalf("at %v: %v", c.t.Sub(s.Created), err)
		}
	}
	c.t = s.Created.Add(12 * time.Hour)
	if _, err := st.Get(s.ID); err != ErrNoSession {
		t.Fatal("a session outlives its absolute limit")
	}
	// Idle for 30 minutes, it ends.
	s = st.Create(Session{Subject: "a"})
	c.t = c.t.Add(30 * time.Minute)
	if _, err := st.Get(s.ID); err != ErrNoSession {
		t.Fatal("an idle session lives on")
	}
	// Deleted, it is gone.
	s = st.Create(Session{Subject: "b"})
	st.Delete(s.ID)
	if _, err := st.Get(s.ID); err != ErrNoSession {
		t.Fatal("a deleted session lives on")
	}
}

func TestSessionCap(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	st := New(Options{Max: 3, Now: c.now})
	var ids []string
	for i := 0; i < 3; i++ {
		ids = append(ids, st.Create(Session{Subject: "s"}).ID)
		c.t = c.t.Add(time.Minute)
	}
	// Full: the next one drops the session closest to its end (the oldest
	// seen), not a random one.
	if _, err := st.Get(ids[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(ids[2]); err != nil {
		t.Fatal(err)
	}
	st.Create(Session{Subject: "t"})
	if st.Len() != 3 {
		t.Fatalf("%d sessions held, cap 3", st.Len())
	}
	if _, err := st.Get(ids[0]); err != ErrNoSession {
		t.Fatal("the least recently used session was kept over the cap")
	}
}

// BenchmarkGet is the cost a session adds to every page request: one
// SHA-256 and a map lookup under a lock, with 100,000 sessions held.
func BenchmarkGet(b *testing.B) {
	st := New(Options{})
	var ids []string
	for i := 0; i < 100_000; i++ {
		ids = append(ids, st.Create(Session{Subject: "s"}).ID)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := st.Get(ids[i%len(ids)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
