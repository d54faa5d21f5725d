package reclaim

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParseEntry checks that any line ParseEntry accepts survives a write
// and a re-read unchanged, and that no input makes it panic. Seeds are in
// testdata/fuzz/FuzzParseEntry.
func FuzzParseEntry(f *testing.F) {
	f.Add([]byte(line1))
	f.Add([]byte(line2))
	f.Fuzz(func(t *testing.T, line []byte) {
		e, err := ParseEntry(line)
		if err != nil {
			return
		}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("marshal accepted entry: %v", err)
		}
		e2, err := ParseEntry(b)
		if err != nil {
			t.Fatalf("re-read of %s: %v", b, err)
		}
		if diff := cmp.Diff(e, e2); diff != "" {
			t.Errorf("round trip (-first +second):\n%s", diff)
		}
	})
}
