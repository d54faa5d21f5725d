package main

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMain lets the test binary stand in for the bench's fake-account child:
// startFake re-executes os.Executable() with -serve.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "-serve" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// streams records, in order, what was written to standard output and error.
type streams struct {
	mu     sync.Mutex
	events []string // "out: ..." or "err: ..."
}

type stream struct {
	s    *streams
	name string
}

func (w stream) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	w.s.events = append(w.s.events, w.name+string(p))
	return len(p), nil
}

// TestBenchRows: a small run says on stderr which size and client it starts
// before that size's rows appear, shows samspoke's budget on its row only
// (the naive client's has "—"), and explains every column of the legend,
// "in flight" included.
func TestBenchRows(t *testing.T) {
	var s streams
	cfg := config{users: []int{150, 250}, auditsRatio: 1, scale: 50, naive: true, naiveMax: 300 * time.Millisecond}
	if err := run(t.Context(), stream{&s, "out: "}, stream{&s, "err: "}, cfg); err != nil {
		t.Fatal(err)
	}
	// Lines, in order, each with the index of the write that ended it.
	var out, errs []string
	var outAt, errAt []int
	var partial [2]string
	for i, e := range s.events {
		k := 0
		if strings.HasPrefix(e, "err: ") {
			k = 1
		}
		partial[k] += e[5:]
		for {
			line, rest, ok := strings.Cut(partial[k], "\n")
			if !ok {
				break
			}
			partial[k] = rest
			if k == 0 {
				out, outAt = append(out, line), append(outAt, i)
			} else {
				errs, errAt = append(errs, line), append(errAt, i)
			}
		}
	}
	rowAt := func(client, users string) (int, []string) {
		for i, l := range out {
			if f := strings.Fields(l); len(f) > 4 && f[0] == client && f[1] == users {
				return outAt[i], f
			}
		}
		t.Fatalf("no %s row for %s users:\n%s", client, users, strings.Join(out, "\n"))
		return 0, nil
	}
	progressAt := func(want string) int {
		for i, l := range errs {
			if l == want {
				return errAt[i]
			}
		}
		t.Fatalf("stderr lacks %q:\n%s", want, strings.Join(errs, "\n"))
		return 0
	}
	for _, tt := range []struct{ users, budget string }{{"150", "7"}, {"250", "9"}} {
		sAt, sRow := rowAt("samspoke", tt.users)
		nAt, nRow := rowAt("naive", tt.users)
		if sRow[4] != tt.budget || nRow[4] != "—" {
			t.Errorf("budget columns: samspoke %q, naive %q; want %s and —", sRow[4], nRow[4], tt.budget)
		}
		started := progressAt("bench: " + tt.users + " users, " + tt.users + " audits: samspoke ...")
		naive := progressAt("bench: " + tt.users + " users, " + tt.users + " audits: naive client (cut after 300ms) ...")
		if started > naive || naive > sAt || sAt > nAt {
			t.Errorf("%s users: progress at %d and %d, rows at %d and %d; want the progress lines first", tt.users, started, naive, sAt, nAt)
		}
	}
	// Each size's rows are printed when it ends, before the next starts.
	if done, _ := rowAt("naive", "150"); progressAt("bench: 250 users, 250 audits: samspoke ...") < done {
		t.Error("the 250-user size started before the 150-user rows were printed")
	}
	legend := strings.Join(out, "\n")
	for _, want := range []string{"budget = samspoke's target", "— for the naive client", "floor = ", "in flight = most requests the fake account was serving at once", "peak = ", "retained = ", "allocated = "} {
		if !strings.Contains(legend, want) {
			t.Errorf("legend lacks %q:\n%s", want, legend)
		}
	}
}
