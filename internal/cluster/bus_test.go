package cluster

import (
	"os"
	"testing"
	"time"
)

// natsURL returns the external NATS the integration tests use, skipping
// without one (failing in CI, where it must be there).
func natsURL(t *testing.T) string {
	url := os.Getenv("RAMPART_TEST_NATS")
	if url == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("RAMPART_TEST_NATS is not set; NATS tests must run in CI")
		}
		t.Skip("set RAMPART_TEST_NATS (e.g. nats://127.0.0.1:4222) to run NATS tests")
	}
	return url
}

func open(t *testing.T, o Options) *Bus {
	t.Helper()
	b, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// notices collects commit notices.
func notices(t *testing.T, b *Bus) chan struct{} {
	ch := make(chan struct{}, 16)
	if err := b.OnCommit(func() { ch <- struct{}{} }); err != nil {
		t.Fatal(err)
	}
	if err := b.Conn().Flush(); err != nil {
		t.Fatal(err)
	}
	return ch
}

func expect(t *testing.T, ch chan struct{}, want bool, what string) {
	t.Helper()
	wait := 5 * time.Second
	if !want {
		wait = 300 * time.Millisecond
	}
	select {
	case <-ch:
		if !want {
			t.Fatalf("%s: got a notice", what)
		}
	case <-time.After(wait):
		if want {
			t.Fatalf("%s: no notice", what)
		}
	}
}

func TestEmbeddedHasNoListener(t *testing.T) {
	b := open(t, Options{StoreDir: t.TempDir(), Name: "a"})
	if url := b.ClientURL(); url != "" {
		t.Fatalf("embedded server listens at %s without being asked", url)
	}
	// A node does not hear its own commits: it already woke its watchers.
	own := notices(t, b)
	b.Committed()
	b.Conn().Flush()
	expect(t, own, false, "own commit")
}

func TestEmbeddedListenerCarriesNotices(t *testing.T) {
	a := open(t, Options{StoreDir: t.TempDir(), Name: "a", Listen: "127.0.0.1:0"})
	if a.ClientURL() == "" {
		t.Fatal("embedded server asked to listen has no client URL")
	}
	b := open(t, Options{URL: a.ClientURL(), Name: "b"})
	got := notices(t, b)
	a.Committed()
	expect(t, got, true, "commit on a seen by b")
}

func TestExternalCluster(t *testing.T) {
	url := natsURL(t)
	prefix := "rampart-test-" + time.Now().Format("150405.000000000")
	a := open(t, Options{URL: url, Prefix: prefix, Name: "a"})
	b := open(t, Options{URL: url, Prefix: prefix, Name: "b"})
	other := open(t, Options{URL: url, Prefix: prefix + "-other", Name: "c"})
	gotB, gotOther := notices(t, b), notices(t, other)
	a.Committed()
	expect(t, gotB, true, "commit on a seen by b")
	expect(t, gotOther, false, "commit seen by another deployment")
}
