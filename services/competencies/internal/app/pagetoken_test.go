package app

import (
	"testing"
	"time"
)

// FuzzCoopToken: page tokens come from clients; any string decodes to a
// position that encodes back to itself, or is rejected.
func FuzzCoopToken(f *testing.F) {
	f.Add(encodeCoopToken(coopPos{t: time.Unix(1700000000, 5), id: "01J0000000000000000000000"}))
	f.Add("")
	f.Add("!!!")
	f.Add("MTIzfA")
	f.Fuzz(func(t *testing.T, tok string) {
		p, err := decodeCoopToken(tok)
		if err != nil || p == nil {
			return
		}
		if again, err := decodeCoopToken(encodeCoopToken(*p)); err != nil || !again.t.Equal(p.t) || again.id != p.id {
			t.Fatalf("%q: round trip %v %v", tok, again, err)
		}
	})
}
