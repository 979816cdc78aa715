package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/cli"
	"sigs.k8s.io/yaml"
)

// TestMain lets the test binary stand in for zonesim: the CI recipes' tests run their shell commands,
// which call zonesim by name.
func TestMain(m *testing.M) {
	if os.Getenv("ZONESIM_TEST_AS_CLI") == "1" {
		os.Exit(cli.Run(context.Background(), cli.Streams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// ciStep is one step of a recipe: a shell script, or an action of the CI service the test cannot run.
type ciStep struct {
	name, run string
	env       map[string]string
	uses      string
}

// githubSteps reads the steps of the workflow's one job.
func githubSteps(t *testing.T, path string) []ciStep {
	t.Helper()
	var wf struct {
		Jobs map[string]struct {
			Steps []map[string]any `json:"steps"`
		} `json:"jobs"`
	}
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(data, &wf))
	require.Len(t, wf.Jobs, 1)
	var steps []ciStep
	for _, j := range wf.Jobs {
		for _, s := range j.Steps {
			step := ciStep{env: map[string]string{}}
			for k, v := range s {
				switch k {
				case "name":
					step.name = v.(string)
				case "run":
					step.run = v.(string)
				case "uses":
					step.uses = v.(string)
				case "env":
					for name, value := range v.(map[string]any) {
						step.env[name] = fmt.Sprint(value)
					}
				case "with":
					require.NotEmpty(t, s["uses"], "with goes with an action")
				default: // if:, shell:, working-directory: change how a step runs
					t.Fatalf("step %v has %s:, which the test does not run as GitHub would", s["name"], k)
				}
			}
			steps = append(steps, step)
		}
	}
	return steps
}

// gitlabScript reads the job's before_script and script as one shell script, as the runner runs them.
func gitlabScript(t *testing.T, path string) []ciStep {
	t.Helper()
	var ci map[string]struct {
		BeforeScript []string `json:"before_script"`
		Script       []string `json:"script"`
	}
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(data, &ci))
	require.Len(t, ci, 1)
	var steps []ciStep
	for name, job := range ci {
		steps = append(steps, ciStep{name: name, run: strings.Join(append(job.BeforeScript, job.Script...), "\n")})
	}
	return steps
}

// fakeTools puts on PATH what a CI machine has and this one must not reach: go install (the zonesim
// it installs is this test binary), gh and curl (which would post the comment: they keep its body).
func fakeTools(t *testing.T) (bin, log string) {
	t.Helper()
	dir := t.TempDir()
	bin, log = filepath.Join(dir, "bin"), filepath.Join(dir, "calls.log")
	require.NoError(t, os.MkdirAll(bin, 0o755))
	self, err := os.Executable()
	require.NoError(t, err)
	scripts := map[string]string{
		"zonesim": fmt.Sprintf("#!/bin/sh\nZONESIM_TEST_AS_CLI=1 exec %q \"$@\"\n", self),
		"go": `#!/bin/sh
echo "go $*" >> "$FAKE_LOG"
case "$1" in env) echo /nonexistent/go ;; esac
`,
		// gh api lists no comment of zonesim's yet; gh pr comment N --body-file F posts one.
		"gh": `#!/bin/sh
echo "gh $*" >> "$FAKE_LOG"
[ "$1" = api ] && exit 0
while [ $# -gt 0 ]; do [ "$1" = --body-file ] && cp "$2" "$FAKE_DIR/comment.md"; shift; done
`,
		"curl": `#!/bin/sh
echo "curl $*" >> "$FAKE_LOG"
for a in "$@"; do case "$a" in body@*) cp "${a#body@}" "$FAKE_DIR/comment.md" ;; esac; done
`,
	}
	for name, s := range scripts {
		require.NoError(t, os.WriteFile(filepath.Join(bin, name), []byte(s), 0o755))
	}
	return bin, log
}

// ciRepo is a clone of a repository whose main holds the two-zone scenario under deploy/ and its golden
// matrix (or, without base, only a README), on a branch "change" with one commit that change makes.
func ciRepo(t *testing.T, base bool, change func(dir string)) string {
	t.Helper()
	root := t.TempDir()
	origin, dir := filepath.Join(root, "origin.git"), filepath.Join(root, "work")
	git := gitIn(t, dir)
	out, err := exec.Command("git", "init", "-q", "--bare", origin).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "README.md"), []byte("the cluster's manifests\n"), 0o644))
	if base {
		addDeploy(t, dir)
	}
	git("init", "-q", "-b", "main")
	git("add", ".")
	git("commit", "-q", "-m", "zones")
	git("remote", "add", "origin", origin)
	git("push", "-q", "origin", "main")
	git("fetch", "-q", "origin")
	git("checkout", "-q", "-b", "change")
	change(dir)
	git("add", ".")
	git("commit", "-q", "-m", "the change")
	return dir
}

// addDeploy puts the two-zone scenario under deploy/ and its golden matrix beside it.
func addDeploy(t *testing.T, dir string) {
	t.Helper()
	out, err := exec.Command("cp", "-r", "../../scenarios/two-zone/manifests", "../../scenarios/two-zone/scenario.yaml", dir).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "deploy"), 0o755))
	for _, f := range []string{"manifests", "scenario.yaml"} {
		require.NoError(t, os.Rename(filepath.Join(dir, f), filepath.Join(dir, "deploy", f)))
	}
	writeGolden(t, dir)
}

// writeGolden stores the matrix of deploy/ as reachability.golden.json.
func writeGolden(t *testing.T, dir string) {
	t.Helper()
	code, out, errOut := run("matrix", "-f", filepath.Join(dir, "deploy"), "-o", "json")
	require.Equal(t, 0, code, errOut)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "reachability.golden.json"), []byte(out), 0o644))
}

// editPolicies changes deploy/manifests/policies.yaml at the first old after the namespace ns.
func editPolicies(t *testing.T, dir, ns, old, new string) {
	t.Helper()
	path := filepath.Join(dir, "deploy/manifests/policies.yaml")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	at := strings.Index(string(data), "namespace: "+ns)
	require.GreaterOrEqual(t, at, 0)
	text := string(data)[:at] + strings.Replace(string(data)[at:], old, new, 1)
	require.NotEqual(t, string(data), text)
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
}

// The CI recipes of docs/ci.md, run as GitHub Actions and GitLab run them, in a clone of a repository
// with a pull request: every shell command is the recipe's own; only go install, gh and curl are
// stand-ins. A change that opens zone B to zone A gets its comment posted and fails on the new finding;
// a reviewed change that updates its golden matrix passes.
func TestCIRecipes(t *testing.T) {
	for _, doc := range []string{"github-actions.yml", "gitlab-ci.yml"} {
		data, err := os.ReadFile("../../docs/ci/" + doc)
		require.NoError(t, err)
		md, err := os.ReadFile("../../docs/ci.md")
		require.NoError(t, err)
		assert.Contains(t, string(md), "```yaml\n"+string(data)+"```", "docs/ci.md shows docs/ci/%s as it is", doc)
	}
	opensBToA := func(dir string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "deploy/manifests/from-b.yaml"), []byte(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-zone-b, namespace: shop-web}
spec:
  podSelector: {}
  ingress:
    - from:
        - namespaceSelector: {matchLabels: {network-zone: B}}
`), 0o644))
	}
	narrowsAToPayments := func(dir string) {
		editPolicies(t, dir, "payments", "              network-zone: A\n", "              network-zone: A\n      ports:\n        - {port: 443}\n")
		writeGolden(t, dir)
	}
	addsDeploy := func(dir string) { addDeploy(t, dir) }
	for _, tc := range []struct {
		name, recipe string
		noBase       bool // main has no deploy/ yet
		change       func(dir string)
		failed       string // the step that fails the job, "" none
		comment      []string
	}{
		{"github, a new finding", "github-actions.yml", false, opensBToA, "No new contract finding, golden matrix up to date",
			[]string{"**zonesim diff**", "2 cell(s) opened", "2 new finding(s)", "ERROR ZN-3"}},
		{"github, a reviewed change", "github-actions.yml", false, narrowsAToPayments, "",
			[]string{"2 changed", "0 new finding(s)", "| payments | all | TCP/443 |"}},
		{"gitlab, a new finding", "gitlab-ci.yml", false, opensBToA, "zonesim",
			[]string{"**zonesim diff**", "2 new finding(s)", "ERROR ZN-3"}},
		{"gitlab, a reviewed change", "gitlab-ci.yml", false, narrowsAToPayments, "",
			[]string{"0 new finding(s)", "| payments | all | TCP/443 |"}},
		{"github, the first pull request", "github-actions.yml", true, addsDeploy, "", []string{"**zonesim** · deploy/ is new in this pull request"}},
		{"gitlab, the first merge request", "gitlab-ci.yml", true, addsDeploy, "", []string{"**zonesim** · deploy/ is new in this merge request"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := ciRepo(t, !tc.noBase, tc.change)
			bin, log := fakeTools(t)
			fake := filepath.Dir(log)
			var steps []ciStep
			env := append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "FAKE_LOG="+log, "FAKE_DIR="+fake, "CI=true")
			if strings.HasPrefix(tc.recipe, "github") {
				steps = githubSteps(t, "../../docs/ci/"+tc.recipe)
				env = append(env, "GITHUB_BASE_REF=main", "GITHUB_REPOSITORY=o/r", "GITHUB_STEP_SUMMARY="+filepath.Join(fake, "summary.md"))
			} else {
				steps = gitlabScript(t, "../../docs/ci/"+tc.recipe)
				env = append(env, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME=main", "CI_API_V4_URL=https://gitlab.example/api/v4",
					"CI_PROJECT_ID=42", "CI_MERGE_REQUEST_IID=7", "ZONESIM_GITLAB_TOKEN=token")
			}
			failed := ""
			for _, s := range steps {
				if s.uses != "" {
					continue // an action of the CI service: checkout, setup-go, the uploads
				}
				stepEnv := env
				for k, v := range s.env {
					v = strings.NewReplacer("${{ github.token }}", "token", "${{ github.event.pull_request.number }}", "7").Replace(v)
					require.NotContains(t, v, "${{", "an expression the test does not know")
					stepEnv = append(stepEnv, k+"="+v)
				}
				cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", s.run)
				cmd.Dir, cmd.Env = dir, stepEnv
				out, err := cmd.CombinedOutput()
				if err != nil {
					failed = s.name
					t.Logf("step %q failed (as CI would show it):\n%s", s.name, out)
					break
				}
			}
			assert.Equal(t, tc.failed, failed)
			comment, err := os.ReadFile(filepath.Join(fake, "comment.md"))
			require.NoError(t, err, "the comment was posted")
			for _, want := range tc.comment {
				assert.Contains(t, string(comment), want)
			}
			calls, err := os.ReadFile(log)
			require.NoError(t, err)
			assert.Contains(t, string(calls), "go install -tags kustomize_disable_go_plugin_support github.com/zonesim/zonesim/cmd/zonesim@latest")
			var sarif struct {
				Runs []json.RawMessage `json:"runs"`
			}
			data, err := os.ReadFile(filepath.Join(dir, "zonesim.sarif"))
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(data, &sarif))
			assert.Len(t, sarif.Runs, 1)
			html, err := os.ReadFile(filepath.Join(dir, "zonesim.html"))
			require.NoError(t, err)
			assert.Contains(t, string(html), `<svg xmlns="http://www.w3.org/2000/svg" id="zonemap"`)
		})
	}
}
