// otlp-receiver: an OTLP/HTTP traces endpoint for the e2e tests. It accepts only the protobuf
// encoding (application/x-protobuf), decodes each ExportTraceServiceRequest with the official
// OpenTelemetry protobuf bindings (go.opentelemetry.io/proto/otlp, generated from
// opentelemetry-proto), and prints it as one line of protojson on stdout. A request it cannot
// decode gets 400 and a line on stderr, so an encoding bug fails the test.
//
//	otlp-receiver -listen 127.0.0.1:0   (prints "listening <addr>" first)
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	flag.Parse()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	emit := func(line string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintln(out, line)
		out.Flush()
	}
	emit("listening " + ln.Addr().String())
	http.HandleFunc("/v1/traces", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/x-protobuf" {
			fmt.Fprintf(os.Stderr, "refused content type %q\n", ct)
			http.Error(w, "application/x-protobuf only", http.StatusUnsupportedMediaType)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var req collectortrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			fmt.Fprintf(os.Stderr, "undecodable ExportTraceServiceRequest: %v\n", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		// UseProtoNames: false keeps OTLP/JSON's lowerCamelCase field names; ids come out base64.
		line, err := protojson.MarshalOptions{EmitUnpopulated: false}.Marshal(&req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		emit(string(line))
		resp, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(resp)
	})
	if err := http.Serve(ln, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
