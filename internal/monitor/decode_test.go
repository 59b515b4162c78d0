package monitor

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// TestUnmarshalSnapshotMatchesEncodingJSON decodes the golden and
// synthetic events both ways.
func TestUnmarshalSnapshotMatchesEncodingJSON(t *testing.T) {
	evs := readEvents(t, "testdata/golden/events.jsonl")
	evs = append(evs, newBenchGen(3).events(2000)...)
	for _, ev := range evs {
		checkDecode(t, ev.Data)
	}
	for _, s := range []string{
		`{"code":"a\u0062","version":1}`, `{"Code":"x"}`, `{"version":01}`, `{"version":1.5}`, `{"version":null}`,
		`{"finished_at":null,"documents":{"total":2,"extra":[1,{"a":"b"},null,true]}}`, `{"rating_reason":"Phải bổ sung"}`,
		`{"at":"2026-11-02T09:00:00+07:00","due_at":"not a time"}`, `{"fees":{"paid":"yes"}}`, `{}` + " x", `{"code":"\xff"}`,
	} {
		checkDecode(t, []byte(s))
	}
}

func checkDecode(t *testing.T, data []byte) {
	t.Helper()
	var a, b Snapshot
	errA := json.Unmarshal(data, &a)
	errB := unmarshalSnapshot(data, &b)
	if (errA == nil) != (errB == nil) || !reflect.DeepEqual(a, b) {
		t.Errorf("%s: encoding/json %+v (%v), fast %+v (%v)", data, a, errA, b, errB)
	}
}

func FuzzUnmarshalSnapshot(f *testing.F) {
	b, _ := os.ReadFile("testdata/golden/events.jsonl")
	for _, line := range splitLines(b) {
		f.Add(line)
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkDecode(t, data) })
}

func splitLines(b []byte) [][]byte {
	var out [][]byte
	start := 0
	for i, c := range b {
		if c == '\n' {
			out = append(out, b[start:i])
			start = i + 1
		}
	}
	return out
}
