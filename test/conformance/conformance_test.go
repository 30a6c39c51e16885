// The official Gateway API conformance suite against Sluice. Run through run.sh (npm run
// conformance), which starts the cluster, the fake node and Sluice; flags are the suite's own
// (conformance/utils/flags), given after -args.
package conformance

import (
	"testing"

	"sigs.k8s.io/gateway-api/conformance"
)

func TestConformance(t *testing.T) {
	opts := conformance.DefaultOptions(t)
	conformance.RunConformanceWithOptions(t, opts)
}
