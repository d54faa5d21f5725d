package main

// The README's instructions that use the fake account, run as written:
// its "Using the packages from your own program" snippets, and the two
// -reclaim runs against examples/fakeaha. Both build programs with the go
// command, so -short skips them.

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeSection returns the README's section under the heading title, up to
// the next second-level heading.
func readmeSection(t *testing.T, title string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(data), "\n## "+title+"\n")
	if !ok {
		t.Fatalf("README has no section %q", title)
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	return sec
}

// goCommand returns the go command: go test puts its own toolchain's first
// in PATH.
func goCommand(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds programs with the go command")
	}
	g, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	return g
}

var goBlock = regexp.MustCompile("(?s)```go\n(.*?)```")

// snippetProgram wraps the README's Go snippets in a program run against the
// fake account: the snippet with reclaim.NewPlan goes on from the first one
// (it uses its spoke and result), every other one runs on its own. The only
// changes: "if err != nil { … }" ends the program, and aha.WithAccount("acme")
// becomes aha.WithBaseURL of the fake, which the README says to use instead.
const snippetProgram = `package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/samspoke/samspoke/aha"
	"github.com/samspoke/samspoke/aha/ahatest"
	"github.com/samspoke/samspoke/oauthflow"
	"github.com/samspoke/samspoke/reclaim"
	"github.com/samspoke/samspoke/reconcile"
	"github.com/samspoke/samspoke/sam"
	"golang.org/x/oauth2"
)

var (
	fakeURL string
	_       = reclaim.NewPlan
	_       = reconcile.Evaluate
	_       = oauthflow.NewConfig
	_       = fmt.Println
	_       = os.Getenv
)

func first(ctx context.Context, now time.Time, ents []sam.Entitlement) {
{{FIRST}}
{{RECLAIM}}
}

{{FUNCS}}

func main() {
	ctx := context.Background()
	now := time.Now().UTC()
	acct := ahatest.DemoAccount(now)
	srv := ahatest.NewServer(acct)
	defer srv.Close()
	fakeURL = srv.URL
	ents, err := sam.DecodeEntitlements(acct.EntitlementsJSON(), "demo entitlements", aha.Catalog())
	if err != nil {
		log.Fatal(err)
	}
	// The token examples/connect would have stored.
	path, err := oauthflow.DefaultTokenPath()
	if err != nil {
		log.Fatal(err)
	}
	if err := (&oauthflow.FileStore{Path: path}).Save(ctx, &oauth2.Token{AccessToken: "stored"}); err != nil {
		log.Fatal(err)
	}
	first(ctx, now, ents)
{{CALLS}}
	fmt.Println("all snippets ran")
}
`

// TestReadmeSnippetsRun compiles the README's library snippets and runs
// them against the fake account (the tester found one that could not run:
// aha.WithAccount with the suggested aha.WithBaseURL).
func TestReadmeSnippetsRun(t *testing.T) {
	goCmd := goCommand(t)
	var blocks []string
	for _, m := range goBlock.FindAllStringSubmatch(readmeSection(t, "Using the packages from your own program"), -1) {
		b := strings.ReplaceAll(m[1], "if err != nil { … }", "if err != nil { log.Fatal(err) }")
		blocks = append(blocks, strings.ReplaceAll(b, `aha.WithAccount("acme")`, "aha.WithBaseURL(fakeURL)"))
	}
	if len(blocks) < 2 || !strings.Contains(blocks[0], "reconcile.Evaluate") {
		t.Fatalf("the README's first snippet no longer evaluates (%d snippets); update this test", len(blocks))
	}
	var reclaimBlock, funcs, calls string
	var wants []string
	for _, b := range blocks[1:] {
		if strings.Contains(b, "reclaim.NewPlan") {
			reclaimBlock = b
			continue
		}
		// Each client made is used once: it must reach the fake.
		name := "snippet" + string(rune('A'+len(wants)))
		wants = append(wants, name+" reached the fake")
		funcs += "func " + name + "(ctx context.Context) {\n" + b +
			"\t_ = err\n\tif _, _, err := c.Users.Me(ctx); err != nil {\n\t\tlog.Fatal(err)\n\t}\n\tfmt.Println(\"" + name + " reached the fake\")\n}\n\n"
		calls += "\t" + name + "(ctx)\n"
	}
	if reclaimBlock == "" {
		t.Fatal("the README shows no reclaim.NewPlan snippet; update this test")
	}
	src := strings.NewReplacer("{{FIRST}}", blocks[0], "{{RECLAIM}}", reclaimBlock,
		"{{FUNCS}}", funcs, "{{CALLS}}", calls).Replace(snippetProgram)

	out := runInModule(t, goCmd, src)
	wants = append(wants, "Aha! Roadmaps", "skipped_cap", "all snippets ran")
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("the snippets' output lacks %q:\n%s", want, out)
		}
	}
}

// runInModule runs src as the main package of a new module that uses this
// repository through a replace directive, and returns its output.
func runInModule(t *testing.T, goCmd, src string) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	mod := "module readmecheck\n\ngo 1.26.0\n\nrequire github.com/samspoke/samspoke v0.0.0\n\nreplace github.com/samspoke/samspoke => " + root + "\n"
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"go.mod": []byte(mod), "go.sum": sum, "main.go": []byte(src)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.CommandContext(t.Context(), goCmd, "run", ".")
	cmd.Dir = dir
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod",
		"HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "AppData="+home,
		"GOCACHE="+goEnv(t, goCmd, "GOCACHE"), "GOMODCACHE="+goEnv(t, goCmd, "GOMODCACHE"),
		"AHA_TOKEN=any", "AHA_CLIENT_ID=client", "AHA_CLIENT_SECRET=secret")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run of the README's snippets: %v\n%s\n--- program:\n%s", err, out, src)
	}
	return string(out)
}

// goEnv returns a go env variable, kept when HOME changes.
func goEnv(t *testing.T, goCmd, name string) string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), goCmd, "env", name).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

var (
	fakeCommand  = regexp.MustCompile(`(?m)^go run \./examples/fakeaha(.*)$`)
	spokeReclaim = regexp.MustCompile(`(?m)^go run \./examples/spoke( .*-reclaim.*)$`)
	reclaimLine  = regexp.MustCompile(`Reclaim \(disable\): planned (\d+), applied (\d+)`)
)

// TestReadmeReclaimTwice runs the README's commands: examples/fakeaha, then
// the spoke's -reclaim twice with the variables it printed. The first run
// disables the candidates; the second plans nothing.
func TestReadmeReclaimTwice(t *testing.T) {
	goCmd := goCommand(t)
	sec := readmeSection(t, "Reclaiming seats safely")
	fm := fakeCommand.FindStringSubmatch(sec)
	runs := spokeReclaim.FindAllStringSubmatch(sec, -1)
	if fm == nil || len(runs) != 2 {
		t.Fatalf("the README no longer shows go run ./examples/fakeaha and two spoke -reclaim runs; update this test")
	}
	tmp := t.TempDir()
	args := func(line string) []string {
		return strings.Fields(strings.ReplaceAll(line, "/tmp/", tmp+"/"))
	}

	bin := filepath.Join(tmp, "spoke")
	build := exec.CommandContext(t.Context(), goCmd, "build", "-o", bin, "github.com/samspoke/samspoke/examples/spoke")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build examples/spoke: %v\n%s", err, out)
	}

	f := start(t, nil, args(fm[1])...)
	if f.env["AHA_URL"] == "" || f.env["AHA_TOKEN"] == "" {
		t.Fatalf("fakeaha printed %q; want the export lines the README names", f.stdout.String())
	}
	var got [][]string
	for _, r := range runs {
		cmd := exec.CommandContext(t.Context(), bin, args(r[1])...)
		cmd.Env = append(os.Environ(), "AHA_URL="+f.env["AHA_URL"], "AHA_TOKEN="+f.env["AHA_TOKEN"],
			"HOME="+tmp, "XDG_CONFIG_HOME="+tmp)
		out, err := cmd.CombinedOutput()
		m := reclaimLine.FindStringSubmatch(string(out))
		if err != nil || m == nil {
			t.Fatalf("spoke%s: %v\n%s", r[1], err, out)
		}
		got = append(got, m[1:])
	}
	if got[0][0] == "0" || got[0][0] != got[0][1] || got[1][0] != "0" || got[1][1] != "0" {
		t.Errorf("planned, applied = %v then %v; want every candidate applied, then nothing planned", got[0], got[1])
	}
}
