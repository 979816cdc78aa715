package tui_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The TUI in a real terminal: tmux runs zonesim tui at 80x24 and 200x50, the test types as a reviewer
// would and reads the screen back.

var built struct {
	once sync.Once
	bin  string
	err  error
}

// binary builds zonesim once for the tests of this package.
func binary(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tmux is needed for the terminal tests (make test installs it)")
		}
		t.Skip("tmux is not installed (make test installs it)")
	}
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "zonesim-tui-test")
		if err != nil {
			built.err = err
			return
		}
		built.bin = filepath.Join(dir, "zonesim")
		if out, err := exec.Command("go", "build", "-o", built.bin, "../../../cmd/zonesim").CombinedOutput(); err != nil {
			built.err = fmt.Errorf("%v: %s", err, out)
		}
	})
	require.NoError(t, built.err)
	return built.bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.bin != "" {
		os.RemoveAll(filepath.Dir(built.bin))
	}
	os.Exit(code)
}

// terminal is a tmux session running one command.
type terminal struct {
	t    *testing.T
	name string
}

func startTerminal(t *testing.T, w, h int, dir string, args ...string) *terminal {
	name := fmt.Sprintf("zonesim-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	cmd := exec.Command("tmux", append([]string{"-L", name, "new-session", "-d", "-s", "t", "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), "-c", dir}, args...)...)
	cmd.Env = append(os.Environ(), "TERM=xterm-256color")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	term := &terminal{t: t, name: name}
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", name, "kill-server").Run() })
	return term
}

func (term *terminal) screen() string {
	out, err := exec.Command("tmux", "-L", term.name, "capture-pane", "-p", "-t", "t").Output()
	if err != nil {
		return "(no screen: " + err.Error() + ")"
	}
	return string(out)
}

// waitFor waits until the screen shows want, and returns the screen.
func (term *terminal) waitFor(want string) string {
	term.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := term.screen()
		if strings.Contains(s, want) {
			return s
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("the screen never showed %q; it shows:\n%s", want, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (term *terminal) keys(keys ...string) {
	term.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", term.name, "send-keys", "-t", "t"}, keys...)...).CombinedOutput()
	require.NoError(term.t, err, string(out))
}

// quit presses q and waits for zonesim to end: q quits at once, whatever runs.
func (term *terminal) quit() {
	term.t.Helper()
	term.keys("q")
	deadline := time.Now().Add(5 * time.Second)
	for exec.Command("tmux", "-L", term.name, "has-session", "-t", "t").Run() == nil {
		require.True(term.t, time.Now().Before(deadline), "q quits at once")
		time.Sleep(50 * time.Millisecond)
	}
}

func TestTUIInATerminal(t *testing.T) {
	bin := binary(t)
	for _, size := range [][2]int{{80, 24}, {200, 50}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			dir := t.TempDir()
			term := startTerminal(t, size[0], size[1], dir, bin, "tui")
			s := term.waitFor("zones (3+1 ext)")
			require.Contains(t, s, "? help")
			lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
			require.LessOrEqual(t, len(lines), size[1])
			for _, l := range lines {
				require.LessOrEqual(t, len([]rune(l)), size[0], "no line is wider than the terminal")
			}

			term.keys("Enter")
			term.waitFor("namespace › A")
			term.keys("Tab", "Down", "Enter")
			s = term.waitFor("explain shop-api → payments")
			require.Contains(t, s, "ALLOWED: shop-api -> payments")
			term.keys("Escape") // alone: esc and a key at once is alt+key
			term.waitFor("from shop-api to")
			term.keys("p")
			term.waitFor("What-if: ")
			term.keys("Down", "Space", "Enter")
			term.waitFor("what-if: 1 off; 2 namespace cell(s) changed")
			term.keys("e")
			term.waitFor("wrote zonesim-namespace-shop-api.md")
			_, err := os.Stat(filepath.Join(dir, "zonesim-namespace-shop-api.md"))
			require.NoError(t, err)
			term.keys(":", "ledger", "Enter")
			term.waitFor("workload › B › ledger")
			term.quit()
		})
	}
}

// On a thousand namespaces: the TUI opens, a namespace far down is one jump away, and a big cell is
// explained in the background while the screen answers.
func TestTUIOnAThousandNamespaces(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	gen, err := exec.Command(bin, "gen", "--namespaces", "1000", "--workloads", "4").Output()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "gen.yaml"), gen, 0o644))
	term := startTerminal(t, 80, 24, dir, bin, "tui", "-f", "gen.yaml")
	term.waitFor("zones (")
	term.keys(":", "ns-0450", "Enter")
	term.waitFor("workload › zone-")
	term.keys("BSpace")
	term.waitFor("from ns-0450 to")
	term.keys(":", "zone", "Enter")
	term.waitFor("zones (")
	term.keys("Tab", "Enter")
	term.waitFor("explain zone:")
	term.quit()
}
