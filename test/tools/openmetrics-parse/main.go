// openmetrics-parse: reads an OpenMetrics exposition on stdin and parses it with Prometheus's
// own scrape parser (github.com/prometheus/prometheus/model/textparse), then prints every
// sample as one JSON line: {"series": {labels…, "__name__": …}, "value": v, "exemplar":
// {"labels": {…}, "value": v, "timestamp": ms}} (exemplar only when the sample has one). A parse
// error exits 1 with the error on stderr, so a malformed exposition fails the test.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/textparse"
)

type sample struct {
	Series   map[string]string `json:"series"`
	Value    float64           `json:"value"`
	Exemplar *exemplarOut      `json:"exemplar,omitempty"`
}

type exemplarOut struct {
	Labels    map[string]string `json:"labels"`
	Value     float64           `json:"value"`
	Timestamp int64             `json:"timestamp,omitempty"`
}

func main() {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	p := textparse.NewOpenMetricsParser(in, labels.NewSymbolTable())
	enc := json.NewEncoder(os.Stdout)
	for {
		entry, err := p.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			fail(err)
		}
		if entry != textparse.EntrySeries {
			continue
		}
		_, _, v := p.Series()
		var l labels.Labels
		p.Labels(&l)
		out := sample{Series: l.Map(), Value: v}
		var e exemplar.Exemplar
		if p.Exemplar(&e) {
			out.Exemplar = &exemplarOut{Labels: e.Labels.Map(), Value: e.Value}
			if e.HasTs {
				out.Exemplar.Timestamp = e.Ts
			}
		}
		if err := enc.Encode(out); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "openmetrics-parse:", err)
	os.Exit(1)
}
