package app

import (
	"strings"
	"testing"
)

// FuzzParseFeedToken: any text from a feed address is either refused or
// names a participant id, and every token newFeedToken makes is accepted
// with its participant.
func FuzzParseFeedToken(f *testing.F) {
	good, _ := newFeedToken("01JB3QW7M9X8Y4Z2A5B6C7D8E9")
	for _, s := range []string{"", good, good[:len(good)-1], good + "=", strings.Repeat("A", feedTokenLen), "01JB3QW7M9X8Y4Z2A5B6C7D8E9" + strings.Repeat("/", 43)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		id, ok := ParseFeedToken(token)
		if ok && (len(token) != feedTokenLen || !strings.HasPrefix(token, id)) {
			t.Fatalf("ParseFeedToken(%q) = %q, accepted", token, id)
		}
		if !ok && token == good {
			t.Fatal("a made token is refused")
		}
	})
}

func TestNewFeedTokenParses(t *testing.T) {
	t.Parallel()
	const id = "01JB3QW7M9X8Y4Z2A5B6C7D8E9"
	a, da := newFeedToken(id)
	b, _ := newFeedToken(id)
	if got, ok := ParseFeedToken(a); !ok || got != id {
		t.Fatalf("ParseFeedToken(%q) = %q, %v", a, got, ok)
	}
	if a == b || len(da) != 32 {
		t.Fatalf("two tokens alike (%q) or digest of %d bytes", a, len(da))
	}
}
