// nodeagent: a fake kubelet + CNI for the conformance harness. It registers one Node, and for
// every Pod the scheduler binds to it: gives the Pod an IP on a bridge, creates a network
// namespace for it (echo-basic listens on fixed ports, so one process per namespace), starts the
// suite's real echo-basic binary in it with the env of the Pod spec (fieldRefs resolved, Secret
// volumes written to files), waits for its port and reports the Pod Running and Ready. When a
// Pod is deleted it stops the process, removes the namespace and finishes the deletion.
//
// Containers whose image is not echo-basic (coredns, used only by UDP tests) get no process:
// they are reported Ready so that the suite's readiness wait passes; tests needing them are
// skipped (see README.md).
//
// Must run as root inside the harness network namespace (test/conformance/run.sh).
package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"flag"
	"io"
	"math/big"
	"net/http"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
)

var (
	kubeconfig = flag.String("kubeconfig", "", "kubeconfig of the cluster")
	nodeName   = flag.String("node-name", "sluice-node", "name of the Node to register")
	nodeIP     = flag.String("node-ip", "10.77.0.1", "InternalIP of the Node (the harness namespace's address)")
	bridge     = flag.String("bridge", "sluicebr0", "bridge the pod veths are attached to")
	podCIDR    = flag.String("pod-cidr", "10.244.0.0/24", "pod addresses; .1 is the bridge")
	nsPrefix   = flag.String("netns-prefix", "sluice-pod", "prefix of the per-pod network namespaces")
	echoBin    = flag.String("echo-basic", "", "path of the echo-basic binary")
	stateDir   = flag.String("state-dir", "", "directory for per-pod files and logs")
	logPort    = flag.Int("kubelet-port", 10250, "port of the kubelet log endpoint (kubectl logs through the apiserver)")
)

// lineLog keeps a container's output lines with the time each was written, so the log
// endpoint can honour sinceTime (the mirror tests read only what came after they started).
type lineLog struct {
	mu    sync.Mutex
	times []time.Time
	lines []string
}

func (l *lineLog) consume(r io.Reader, copyTo io.Writer) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		now := time.Now()
		l.mu.Lock()
		l.times = append(l.times, now)
		l.lines = append(l.lines, line)
		l.mu.Unlock()
		fmt.Fprintf(copyTo, "%s %s\n", now.UTC().Format(time.RFC3339Nano), line)
	}
}

func (l *lineLog) since(t time.Time, timestamps bool) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for i, line := range l.lines {
		if l.times[i].Before(t) {
			continue
		}
		if timestamps {
			b.WriteString(l.times[i].UTC().Format(time.RFC3339Nano) + " ")
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

type pod struct {
	uid    types.UID
	ns     string // network namespace
	ip     net.IP
	veth   string
	cmds   []*exec.Cmd
	logs   map[string]*lineLog // by container name
	key    string              // namespace/name
	ready  bool
	cancel context.CancelFunc
}

type agent struct {
	cs     *kubernetes.Clientset
	subnet *net.IPNet
	mu     sync.Mutex
	pods   map[types.UID]*pod
	used   map[string]bool // pod IPs in use
	next   int             // last octet allocate() tries first
	seq    int
}

func main() {
	flag.Parse()
	log.SetFlags(log.Ltime | log.Lmicroseconds)
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	must(err)
	cfg.QPS, cfg.Burst = 100, 200
	cs, err := kubernetes.NewForConfig(cfg)
	must(err)
	_, subnet, err := net.ParseCIDR(*podCIDR)
	must(err)
	a := &agent{cs: cs, subnet: subnet, pods: map[types.UID]*pod{}, used: map[string]bool{}, next: 2}

	must(a.setupBridge())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	must(a.serveLogs())
	must(a.registerNode(ctx))
	go a.heartbeat(ctx)

	factory := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", *nodeName).String()
	}))
	inf := factory.Core().V1().Pods().Informer()
	_, err = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { a.sync(ctx, o.(*corev1.Pod)) },
		UpdateFunc: func(_, o any) { a.sync(ctx, o.(*corev1.Pod)) },
		DeleteFunc: func(o any) {
			if p, ok := o.(*corev1.Pod); ok {
				a.teardown(p.UID)
			} else if t, ok := o.(cache.DeletedFinalStateUnknown); ok {
				if p, ok := t.Obj.(*corev1.Pod); ok {
					a.teardown(p.UID)
				}
			}
		},
	})
	must(err)
	factory.Start(ctx.Done())
	log.Printf("nodeagent: node %s ready, pods on %s via %s", *nodeName, *podCIDR, *bridge)
	<-ctx.Done()
	a.mu.Lock()
	uids := make([]types.UID, 0, len(a.pods))
	for u := range a.pods {
		uids = append(uids, u)
	}
	a.mu.Unlock()
	for _, u := range uids {
		a.teardown(u)
	}
}

func must(err error) {
	if err != nil {
		log.Fatalf("nodeagent: %v", err)
	}
}

func ipCmd(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (a *agent) gateway() net.IP {
	ip := make(net.IP, 4)
	copy(ip, a.subnet.IP.To4())
	ip[3] = 1
	return ip
}

func (a *agent) setupBridge() error {
	_ = ipCmd("link", "del", *bridge)
	ones, _ := a.subnet.Mask.Size()
	for _, args := range [][]string{
		{"link", "add", *bridge, "type", "bridge"},
		{"addr", "add", fmt.Sprintf("%s/%d", a.gateway(), ones), "dev", *bridge},
		{"link", "set", *bridge, "up"},
	} {
		if err := ipCmd(args...); err != nil {
			return err
		}
	}
	return nil
}

func (a *agent) nodeStatus() corev1.NodeStatus {
	now := metav1.Now()
	res := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("64"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("500"),
	}
	return corev1.NodeStatus{
		Capacity:    res,
		Allocatable: res,
		Phase:       corev1.NodeRunning,
		Conditions: []corev1.NodeCondition{{
			Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			Message: "sluice conformance node agent", LastHeartbeatTime: now, LastTransitionTime: now,
		}},
		// No Hostname address: the apiserver prefers it for kubelet connections and cannot resolve it.
		Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: *nodeIP}},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: int32(*logPort)}},
		NodeInfo:  corev1.NodeSystemInfo{KubeletVersion: "v1.36.3-sluice-nodeagent", OperatingSystem: "linux", Architecture: "amd64"},
	}
}

func (a *agent) registerNode(ctx context.Context) error {
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: *nodeName, Labels: map[string]string{
			"kubernetes.io/hostname": *nodeName, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
		}},
		Spec: corev1.NodeSpec{PodCIDR: *podCIDR, PodCIDRs: []string{*podCIDR}},
	}
	_ = a.cs.CoreV1().Nodes().Delete(ctx, *nodeName, metav1.DeleteOptions{})
	created, err := a.cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	created.Status = a.nodeStatus()
	updated, err := a.cs.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{})
	if err != nil {
		return err
	}
	// The apiserver's TaintNodesByCondition admission gives a new Node the not-ready NoSchedule
	// taint; the node-lifecycle controller (not run here) would lift it once the Node is Ready.
	updated.Spec.Taints = nil
	_, err = a.cs.CoreV1().Nodes().Update(ctx, updated, metav1.UpdateOptions{})
	return err
}

func (a *agent) heartbeat(ctx context.Context) {
	t := time.NewTicker(20 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := a.cs.CoreV1().Nodes().Get(ctx, *nodeName, metav1.GetOptions{})
		if err == nil {
			n.Status = a.nodeStatus()
			_, err = a.cs.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
		}
		if err != nil && ctx.Err() == nil {
			log.Printf("nodeagent: heartbeat: %v", err)
		}
	}
}

func (a *agent) sync(ctx context.Context, p *corev1.Pod) {
	if p.DeletionTimestamp != nil {
		a.teardown(p.UID)
		// The kubelet's last step: remove the object once the containers are gone.
		zero := int64(0)
		err := a.cs.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero, Preconditions: metav1.NewUIDPreconditions(string(p.UID))})
		if err != nil && !strings.Contains(err.Error(), "not found") && ctx.Err() == nil {
			log.Printf("nodeagent: delete %s/%s: %v", p.Namespace, p.Name, err)
		}
		return
	}
	a.mu.Lock()
	if _, ok := a.pods[p.UID]; ok {
		a.mu.Unlock()
		return
	}
	ip := a.allocate()
	if ip == nil {
		a.mu.Unlock()
		log.Printf("nodeagent: no pod IP left for %s/%s", p.Namespace, p.Name)
		return
	}
	a.seq++
	pctx, cancel := context.WithCancel(ctx)
	st := &pod{uid: p.UID, key: p.Namespace + "/" + p.Name, logs: map[string]*lineLog{}, ns: fmt.Sprintf("%s-%d-%d", *nsPrefix, os.Getpid(), a.seq), ip: ip, veth: fmt.Sprintf("sv%d-%d", os.Getpid()%100000, a.seq), cancel: cancel}
	a.pods[p.UID] = st
	a.mu.Unlock()
	go func() {
		if err := a.start(pctx, p.DeepCopy(), st); err != nil && pctx.Err() == nil {
			log.Printf("nodeagent: start %s/%s: %v", p.Namespace, p.Name, err)
		}
	}()
}

// allocate returns a free pod IP (caller holds a.mu). It goes round the subnet instead of
// taking the lowest free address: an address given again at once to a new pod met the stale
// neighbour (ARP) entry of the pod that had just left, and connections to the new pod timed out
// for half a minute (seen as TCPRoute conformance tests failing on a slow machine).
func (a *agent) allocate() net.IP {
	base := a.subnet.IP.To4()
	for n := 0; n < 253; n++ {
		octet := 2 + (a.next-2+n+253)%253
		ip := net.IPv4(base[0], base[1], base[2], byte(octet)).To4()
		if !a.subnet.Contains(ip) || a.used[ip.String()] {
			continue
		}
		a.used[ip.String()] = true
		a.next = octet + 1
		return ip
	}
	return nil
}

func (a *agent) start(ctx context.Context, p *corev1.Pod, st *pod) error {
	ones, _ := a.subnet.Mask.Size()
	for _, args := range [][]string{
		{"netns", "add", st.ns},
		{"link", "add", st.veth, "type", "veth", "peer", "name", "eth0", "netns", st.ns},
		{"link", "set", st.veth, "master", *bridge, "up"},
		{"-n", st.ns, "addr", "add", fmt.Sprintf("%s/%d", st.ip, ones), "dev", "eth0"},
		{"-n", st.ns, "link", "set", "eth0", "up"},
		{"-n", st.ns, "link", "set", "lo", "up"},
		{"-n", st.ns, "route", "add", "default", "via", a.gateway().String()},
	} {
		if err := ipCmd(args...); err != nil {
			return err
		}
	}
	podDir := filepath.Join(*stateDir, "pods", string(p.UID))
	if err := os.MkdirAll(podDir, 0o755); err != nil {
		return err
	}
	// Like the kubelet, wait for the Secrets and ConfigMaps a Pod mounts (the suite may create them
	// after the Deployment).
	mounts, err := a.writeVolumes(ctx, p, podDir)
	for logged := false; err != nil; mounts, err = a.writeVolumes(ctx, p, podDir) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !logged {
			log.Printf("nodeagent: %s/%s waiting for volumes: %v", p.Namespace, p.Name, err)
			logged = true
		}
		time.Sleep(250 * time.Millisecond)
	}
	var ports []int32
	for _, c := range p.Spec.Containers {
		if !strings.Contains(c.Image, "echo-basic") {
			log.Printf("nodeagent: %s/%s container %s (%s): no process, reported ready", p.Namespace, p.Name, c.Name, c.Image)
			continue
		}
		env := []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
		for _, e := range c.Env {
			env = append(env, e.Name+"="+rewritePath(a.envValue(p, st, e), c.VolumeMounts, mounts))
		}
		logf, err := os.Create(filepath.Join(podDir, c.Name+".log"))
		if err != nil {
			return err
		}
		cmd := exec.Command("ip", "netns", "exec", st.ns, *echoBin)
		cmd.Env = env
		out, err := cmd.StdoutPipe()
		if err != nil {
			logf.Close()
			return err
		}
		cmd.Stderr = cmd.Stdout // both into the pipe
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			logf.Close()
			return err
		}
		ll := &lineLog{}
		go func() { ll.consume(out, logf); _ = cmd.Wait(); logf.Close() }()
		a.mu.Lock()
		st.cmds = append(st.cmds, cmd)
		st.logs[c.Name] = ll
		a.mu.Unlock()
		for _, port := range c.Ports {
			ports = append(ports, port.ContainerPort)
		}
		if len(c.Ports) == 0 {
			ports = append(ports, 3000)
		}
	}
	// Ready once every declared port accepts connections (the suite sends traffic as soon as Pods
	// are Ready).
	deadline := time.Now().Add(20 * time.Second)
	for _, port := range ports {
		addr := net.JoinHostPort(st.ip.String(), fmt.Sprint(port))
		for {
			c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
			if err == nil {
				c.Close()
				break
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if time.Now().After(deadline) {
				log.Printf("nodeagent: %s/%s: %s not listening (%v); reporting ready anyway", p.Namespace, p.Name, addr, err)
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return a.reportRunning(ctx, p, st)
}

func (a *agent) envValue(p *corev1.Pod, st *pod, e corev1.EnvVar) string {
	if e.ValueFrom == nil || e.ValueFrom.FieldRef == nil {
		return e.Value
	}
	switch e.ValueFrom.FieldRef.FieldPath {
	case "metadata.name":
		return p.Name
	case "metadata.namespace":
		return p.Namespace
	case "metadata.uid":
		return string(p.UID)
	case "status.podIP":
		return st.ip.String()
	case "spec.nodeName":
		return p.Spec.NodeName
	case "spec.serviceAccountName":
		return p.Spec.ServiceAccountName
	case "status.hostIP":
		return *nodeIP
	}
	return ""
}

// writeVolumes writes Secret and ConfigMap volumes under podDir; returns volume name → directory.
func (a *agent) writeVolumes(ctx context.Context, p *corev1.Pod, podDir string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range p.Spec.Volumes {
		dir := filepath.Join(podDir, "volumes", v.Name)
		files := map[string][]byte{}
		switch {
		case v.Secret != nil:
			s, err := a.cs.CoreV1().Secrets(p.Namespace).Get(ctx, v.Secret.SecretName, metav1.GetOptions{})
			if err != nil {
				return nil, fmt.Errorf("secret volume %s: %w", v.Name, err)
			}
			files = projectItems(s.Data, v.Secret.Items)
		case v.ConfigMap != nil:
			cm, err := a.cs.CoreV1().ConfigMaps(p.Namespace).Get(ctx, v.ConfigMap.Name, metav1.GetOptions{})
			if err != nil {
				return nil, fmt.Errorf("configmap volume %s: %w", v.Name, err)
			}
			data := map[string][]byte{}
			for k, s := range cm.Data {
				data[k] = []byte(s)
			}
			files = projectItems(data, v.ConfigMap.Items)
		default:
			continue
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		for k, data := range files {
			if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, k)), 0o755); err != nil {
				return nil, err
			}
			if err := os.WriteFile(filepath.Join(dir, k), data, 0o644); err != nil {
				return nil, err
			}
		}
		out[v.Name] = dir
	}
	return out, nil
}

// projectItems is the kubelet's volume projection: with items, only the listed keys, each at its
// path (the suite's tls-backend mounts tls.crt as "crt"); without, every key under its own name.
func projectItems(data map[string][]byte, items []corev1.KeyToPath) map[string][]byte {
	if len(items) == 0 {
		return data
	}
	out := map[string][]byte{}
	for _, it := range items {
		if d, ok := data[it.Key]; ok {
			out[it.Path] = d
		}
	}
	return out
}

// rewritePath maps a path inside a volume mount (e.g. /etc/secret-volume/crt) to the file the
// agent wrote (the process runs in the host filesystem).
func rewritePath(value string, mounts []corev1.VolumeMount, dirs map[string]string) string {
	for _, m := range mounts {
		dir, ok := dirs[m.Name]
		if !ok {
			continue
		}
		prefix := strings.TrimSuffix(m.MountPath, "/")
		if value == prefix || strings.HasPrefix(value, prefix+"/") {
			return dir + strings.TrimPrefix(value, prefix)
		}
	}
	return value
}

func (a *agent) reportRunning(ctx context.Context, p *corev1.Pod, st *pod) error {
	now := metav1.Now()
	cond := func(t corev1.PodConditionType) corev1.PodCondition {
		return corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: now}
	}
	var statuses []corev1.ContainerStatus
	started := true
	for _, c := range p.Spec.Containers {
		statuses = append(statuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: c.Image, Ready: true, Started: &started,
			ContainerID: "sluice://" + string(p.UID) + "/" + c.Name,
			State:       corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		})
	}
	for attempt := 0; ; attempt++ {
		cur, err := a.cs.CoreV1().Pods(p.Namespace).Get(ctx, p.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if cur.UID != p.UID {
			return nil
		}
		cur.Status.Phase = corev1.PodRunning
		cur.Status.HostIP = *nodeIP
		cur.Status.HostIPs = []corev1.HostIP{{IP: *nodeIP}}
		cur.Status.PodIP = st.ip.String()
		cur.Status.PodIPs = []corev1.PodIP{{IP: st.ip.String()}}
		cur.Status.StartTime = &now
		cur.Status.Conditions = []corev1.PodCondition{cond(corev1.PodScheduled), cond(corev1.PodInitialized), cond(corev1.ContainersReady), cond(corev1.PodReady)}
		cur.Status.ContainerStatuses = statuses
		_, err = a.cs.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		if err == nil {
			a.mu.Lock()
			st.ready = true
			a.mu.Unlock()
			log.Printf("nodeagent: %s/%s running at %s (netns %s)", p.Namespace, p.Name, st.ip, st.ns)
			return nil
		}
		if attempt > 10 || ctx.Err() != nil {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (a *agent) teardown(uid types.UID) {
	a.mu.Lock()
	st, ok := a.pods[uid]
	if ok {
		delete(a.pods, uid)
	}
	a.mu.Unlock()
	if !ok {
		return
	}
	st.cancel()
	a.mu.Lock()
	cmds := st.cmds
	a.mu.Unlock()
	for _, c := range cmds {
		if c.Process != nil {
			_ = c.Process.Kill()
		}
	}
	_ = ipCmd("link", "del", st.veth)
	_ = ipCmd("netns", "del", st.ns)
	_ = ipCmd("neigh", "flush", "to", st.ip.String())
	a.mu.Lock()
	delete(a.used, st.ip.String())
	a.mu.Unlock()
	log.Printf("nodeagent: pod %s stopped", uid)
}

// serveLogs answers the kubelet's /containerLogs/{namespace}/{pod}/{container} on
// node-ip:kubelet-port over TLS (a throw-away self-signed certificate: the apiserver does not
// check the kubelet's certificate unless --kubelet-certificate-authority is set).
func (a *agent) serveLogs() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: *nodeName},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP(*nodeIP)}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(*nodeIP, strconv.Itoa(*logPort)))
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /containerLogs/{ns}/{pod}/{container}", func(w http.ResponseWriter, r *http.Request) {
		k := r.PathValue("ns") + "/" + r.PathValue("pod")
		var ll *lineLog
		a.mu.Lock()
		for _, st := range a.pods {
			if st.key == k {
				ll = st.logs[r.PathValue("container")]
			}
		}
		a.mu.Unlock()
		if ll == nil {
			http.Error(w, "no such container", http.StatusNotFound)
			return
		}
		q := r.URL.Query()
		var since time.Time
		if v := q.Get("sinceTime"); v != "" {
			since, _ = time.Parse(time.RFC3339, v)
		} else if v := q.Get("sinceSeconds"); v != "" {
			n, _ := strconv.Atoi(v)
			since = time.Now().Add(-time.Duration(n) * time.Second)
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, ll.since(since, q.Get("timestamps") == "true"))
	})
	srv := &http.Server{Handler: mux, TLSConfig: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}}
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	return nil
}
