//go:build e2e

package e2e

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/apply"
	"github.com/zonesim/zonesim/pkg/live"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"
)

// Reading a live cluster (--kubeconfig/--context on the query commands): what zonesim reads back from the
// API server must give the same matrix as what it applied.
func TestLiveClusterIsReadBack(t *testing.T) {
	f := features.New("read a live cluster").
		Assess("the matrix read from the cluster equals the one of what was applied", func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
			s, err := apply.Start(ctx, backend(t), embedded(t), apply.Options{Log: testWriter{t}})
			if s != nil {
				defer func() {
					assert.NoError(t, s.Close(ctx))
					runCIDR(true)
				}()
			}
			require.NoError(t, err)
			docs, err := s.Plan().Manifests()
			require.NoError(t, err)
			applied := model.NewLoader(model.DefaultLoadOptions(), nil)
			applied.AddBytes("applied.yaml", docs)
			want, err := applied.Cluster()
			require.NoError(t, err)

			rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
				&clientcmd.ClientConfigLoadingRules{ExplicitPath: cfg.KubeconfigFile()}, &clientcmd.ConfigOverrides{CurrentContext: cfg.KubeContext()}).ClientConfig()
			require.NoError(t, err)
			l := model.NewLoader(model.DefaultLoadOptions(), nil)
			sum, err := live.Read(ctx, l, rc, "cluster")
			require.NoError(t, err)
			t.Log("read: " + sum.String())
			got, err := l.Cluster()
			require.NoError(t, err)
			assert.GreaterOrEqual(t, sum.Read["Pod"], len(want.Pods))
			assert.Equal(t, len(want.Policies), countIn(got, s.Plan()), "the run's policies are read back")

			p, err := simulate.LookupProfile("generic")
			require.NoError(t, err)
			wantM := simulate.New(want, p, "").Matrix(simulate.LevelPod).Texts()
			gotM := simulate.New(got, p, "").Matrix(simulate.LevelPod).Texts()
			d, err := simulate.Diff(wantM, gotM)
			require.NoError(t, err)
			assert.Empty(t, d.Removed, "every applied pod is read back")
			assert.Empty(t, d.Changes)
			assert.Greater(t, d.Compared, 30)
			return ctx
		}).Feature()
	testenv.Test(t, f)
}

// countIn counts the read-back policies that are the run's.
func countIn(c *model.Cluster, plan *apply.Plan) int {
	n := 0
	for _, np := range c.Policies {
		for _, ns := range plan.Namespaces {
			if np.Namespace == ns.Name {
				n++
			}
		}
	}
	return n
}
