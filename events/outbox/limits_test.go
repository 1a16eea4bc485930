package outbox

import (
	"encoding/binary"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestOversizedLengthIsDamage: a record whose length field is over
// MaxRecord was not written by Append, and a torn write does not make one:
// Open reports it as damage, even at the end of the last segment where a
// torn record is cut off silently, and allocates nothing for it.
func TestOversizedLengthIsDamage(t *testing.T) {
	tests := []struct {
		name        string
		givePayload int // bytes of payload written after the header
	}{
		{name: "header only"},
		{name: "with the payload it claims", givePayload: MaxRecord + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			o, _ := open(t, dir, Options{})
			seqs := appendN(t, o, 2)
			o.Close()
			seg := segments(t, dir)[0]
			payload := make([]byte, tt.givePayload)
			var hdr [headerSize]byte
			binary.LittleEndian.PutUint32(hdr[0:4], MaxRecord+1)
			binary.LittleEndian.PutUint32(hdr[4:8], checksum(2, payload))
			binary.LittleEndian.PutUint64(hdr[8:16], 2)
			f, err := os.OpenFile(seg, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write(hdr[:])
			f.Write(payload)
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			o2, damage := open(t, dir, Options{})
			if len(damage) != 1 || !strings.Contains(damage[0].Reason, "over the 1048576-byte limit") {
				t.Fatalf("damage = %v, want one record over the limit", damage)
			}
			if got := pending(o2); !slices.Equal(got, seqs) {
				t.Fatalf("pending = %v, want %v", got, seqs)
			}
		})
	}
}
