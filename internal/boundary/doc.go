// Package boundary holds no code: its test checks zonesim's package boundaries with go list, so a change
// that lets the cluster runtime into the output, client-go into the model, or our own packages into the
// capture decoder fails make test.
package boundary
