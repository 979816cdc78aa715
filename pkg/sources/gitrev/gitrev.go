// Package gitrev reads manifests as they were at a git revision: a source "git:REV:PATH" (or "git:REV",
// the whole tree) names PATH at REV in the repository around the working directory. The files are read
// with the git binary (ls-tree and cat-file, so attributes such as export-ignore change nothing) into a
// temporary directory; no checkout, index or work tree is touched. PATH is relative to the working
// directory, as -f's paths are, so `--base git:origin/main:deploy/ -f deploy/` compares the same place.
package gitrev

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// Prefix marks a source read from git.
const Prefix = "git:"

// Is reports whether a source names a git revision.
func Is(source string) bool { return strings.HasPrefix(source, Prefix) }

// Spec is a parsed "git:REV[:PATH]".
type Spec struct {
	Rev  string
	Path string // relative to the working directory; "" for the whole tree
}

// Parse reads "git:REV" or "git:REV:PATH". A ref name cannot hold a colon, so the first one ends REV.
func Parse(source string) (Spec, error) {
	rest, ok := strings.CutPrefix(source, Prefix)
	if !ok {
		return Spec{}, fmt.Errorf("%s: not a git source (git:REV or git:REV:PATH)", source)
	}
	rev, p, _ := strings.Cut(rest, ":")
	if rev == "" {
		return Spec{}, fmt.Errorf("%s: no revision (git:REV or git:REV:PATH, e.g. git:origin/main:deploy/)", source)
	}
	if strings.HasPrefix(rev, "-") {
		return Spec{}, fmt.Errorf("%s: a revision does not start with -", source)
	}
	return Spec{Rev: rev, Path: p}, nil
}

// Tree is the files of a revision, read into a temporary directory.
type Tree struct {
	Rev    string // as given
	Commit string // the commit it names
	// Dir holds the files at their paths in the repository; Prefix is the working directory's path in
	// the repository ("" at the top), which the spec's paths are relative to.
	Dir, Prefix string
}

// Local is where a spec's path is in the tree.
func (t *Tree) Local(s Spec) string {
	return filepath.Join(t.Dir, filepath.FromSlash(path.Join(t.Prefix, s.Path)))
}

// Display is how a file of the tree is named to the user: git:REV:PATH, PATH relative to the working
// directory. Text that holds no path of the tree is returned as it is.
func (t *Tree) Display(text string) string {
	base := filepath.Join(t.Dir, filepath.FromSlash(t.Prefix))
	// Paths under the working directory first, then the rest of the tree (from the top, with ../).
	text = strings.ReplaceAll(text, base+string(filepath.Separator), Prefix+t.Rev+":")
	text = strings.ReplaceAll(text, base, Prefix+t.Rev+":.")
	if t.Prefix != "" {
		up := strings.Repeat("../", strings.Count(strings.Trim(t.Prefix, "/"), "/")+1)
		text = strings.ReplaceAll(text, t.Dir+string(filepath.Separator), Prefix+t.Rev+":"+up)
	}
	return text
}

// Remove deletes the temporary directory.
func (t *Tree) Remove() error { return os.RemoveAll(t.Dir) }

// Read reads the files of spec's revision under the paths given (relative to the working directory; none:
// the whole tree) from the repository around dir into a new temporary directory. The caller removes it.
func Read(ctx context.Context, dir string, s Spec, paths ...string) (*Tree, error) {
	g := func(args ...string) ([]byte, error) { return git(ctx, dir, nil, args...) }
	prefix, err := g("rev-parse", "--show-prefix")
	if err != nil {
		if strings.Contains(err.Error(), "not a git repository") {
			return nil, fmt.Errorf("%s%s: %s is not in a git repository (run zonesim inside the repository)", Prefix, s.Rev, dir)
		}
		return nil, err
	}
	commit, err := g("rev-parse", "--verify", "--quiet", "--end-of-options", s.Rev+"^{commit}")
	if err != nil {
		return nil, fmt.Errorf("%s%s: no such revision in the repository (git rev-parse %s)", Prefix, s.Rev, s.Rev)
	}
	t := &Tree{Rev: s.Rev, Commit: strings.TrimSpace(string(commit)), Prefix: strings.TrimSuffix(strings.TrimSpace(string(prefix)), "/")}
	// ls-tree names paths from the top of the repository when given --full-tree; the pathspecs are then
	// relative to the top too.
	args := []string{"ls-tree", "-r", "-z", "--full-tree", t.Commit, "--"}
	for _, p := range paths {
		full := path.Clean(path.Join(t.Prefix, p))
		if full == ".." || strings.HasPrefix(full, "../") {
			return nil, fmt.Errorf("%s%s:%s: outside the repository", Prefix, s.Rev, p)
		}
		if full != "." {
			args = append(args, full)
		}
	}
	list, err := g(args...)
	if err != nil {
		return nil, err
	}
	type entry struct{ mode, oid, path string }
	var entries []entry
	for _, rec := range bytes.Split(list, []byte{0}) {
		if len(rec) == 0 {
			continue
		}
		meta, p, ok := bytes.Cut(rec, []byte{'\t'})
		f := strings.Fields(string(meta))
		if !ok || len(f) != 3 {
			return nil, fmt.Errorf("git ls-tree: unexpected line %q", rec)
		}
		if f[1] != "blob" {
			continue // a submodule's commit: its files are another repository's
		}
		entries = append(entries, entry{mode: f[0], oid: f[2], path: string(p)})
	}
	if len(entries) == 0 && len(paths) > 0 {
		return nil, fmt.Errorf("%s%s:%s: no such path at %s (commit %.12s)", Prefix, s.Rev, strings.Join(paths, ", "), s.Rev, t.Commit)
	}
	if t.Dir, err = os.MkdirTemp("", "zonesim-git-"); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			_ = t.Remove()
		}
	}()
	var in bytes.Buffer
	for _, e := range entries {
		in.WriteString(e.oid + "\n")
	}
	blobs, err := git(ctx, dir, &in, "cat-file", "--batch")
	if err != nil {
		return nil, err
	}
	r := bufio.NewReader(bytes.NewReader(blobs))
	for _, e := range entries {
		data, err := readBlob(r, e.oid)
		if err != nil {
			return nil, err
		}
		local := filepath.Join(t.Dir, filepath.FromSlash(e.path))
		if err := os.MkdirAll(filepath.Dir(local), 0o700); err != nil {
			return nil, err
		}
		if e.mode == "120000" { // a symbolic link, kept as one: a checkout would have it too
			err = os.Symlink(string(data), local)
		} else {
			err = os.WriteFile(local, data, 0o600)
		}
		if err != nil {
			return nil, err
		}
	}
	ok = true
	return t, nil
}

// readBlob reads one object of git cat-file --batch's output.
func readBlob(r *bufio.Reader, oid string) ([]byte, error) {
	header, err := r.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("git cat-file: %w", err)
	}
	f := strings.Fields(header)
	if len(f) != 3 || f[0] != oid {
		return nil, fmt.Errorf("git cat-file: unexpected header %q for %s", strings.TrimSpace(header), oid)
	}
	size, err := strconv.Atoi(f[2])
	if err != nil {
		return nil, fmt.Errorf("git cat-file: %q: %w", header, err)
	}
	data := make([]byte, size+1) // the content and its newline
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, fmt.Errorf("git cat-file: %s: %w", oid, err)
	}
	return data[:size], nil
}

// git runs git in dir and returns its stdout; a failure says what git said.
func git(ctx context.Context, dir string, stdin io.Reader, args ...string) ([]byte, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return nil, errors.New("git sources need the git binary: apt-get install -y git")
	}
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}
