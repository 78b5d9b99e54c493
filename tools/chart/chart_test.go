// Package chart tests the Helm chart in deploy/helm/gosqlguard: it renders the
// chart with the pinned helm (go tool helm) for the default values and each
// example values file, decodes every rendered object strictly into its
// Kubernetes API type, checks the properties the deployment relies on, runs
// `gosqlguard config validate` on each rendered configuration, and checks
// that the plain manifests in deploy/kubernetes are a fresh render.
//
// It lives in the tools module so that the project's own go.mod does not
// depend on the Kubernetes API packages.
package chart

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	kubefake "helm.sh/helm/v3/pkg/kube/fake"
	"helm.sh/helm/v3/pkg/storage"
	"helm.sh/helm/v3/pkg/storage/driver"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

const (
	namespace  = "chart-test"
	release    = "gs"
	configDir  = "/etc/gosqlguard"
	configPath = configDir + "/gosqlguard.yaml"
	uid        = int64(10001)
	// kubeVersion is the Kubernetes version the chart is rendered for: the
	// oldest its Chart.yaml allows. The pinned helm is built without the
	// version stamp of helm's releases and assumes 1.20 offline.
	kubeVersion = "1.25.0"
)

var (
	repoRoot = filepath.Join("..", "..")
	chartDir = filepath.Join(repoRoot, "deploy", "helm", "gosqlguard")
	// helmBin and gosqlguardBin are built once by TestMain.
	helmBin       string
	gosqlguardBin string
)

func TestMain(m *testing.M) {
	code, err := setup(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chart test setup:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func setup(m *testing.M) (int, error) {
	start := time.Now()
	// go tool -n prints the cached helm binary's path once it has been built;
	// running it once builds it (a few minutes from a cold cache).
	if out, err := exec.Command("go", "tool", "helm", "version", "--short").CombinedOutput(); err != nil {
		return 0, fmt.Errorf("go tool helm version: %v\n%s", err, out)
	}
	out, err := exec.Command("go", "tool", "-n", "helm").Output()
	if err != nil {
		return 0, fmt.Errorf("go tool -n helm: %v", err)
	}
	helmBin = strings.TrimSpace(string(out))
	tmp, err := os.MkdirTemp("", "gosqlguard-chart-test-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	gosqlguardBin = filepath.Join(tmp, "gosqlguard")
	build := exec.Command("go", "build", "-o", gosqlguardBin, "./cmd/gosqlguard")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("go build ./cmd/gosqlguard: %v\n%s", err, out)
	}
	fmt.Fprintf(os.Stderr, "chart test: helm and gosqlguard ready in %s\n", time.Since(start).Round(time.Millisecond))
	return m.Run(), nil
}

// helm runs the pinned helm with args and returns its stdout; stderr goes
// into the error.
func helm(args ...string) (string, error) {
	cmd := exec.Command(helmBin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("helm %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

func render(t *testing.T, valuesFile string, set ...string) string {
	t.Helper()
	args := []string{"template", release, chartDir, "--namespace", namespace, "--kube-version", kubeVersion}
	if valuesFile != "" {
		args = append(args, "--values", valuesFile)
	}
	for _, s := range set {
		args = append(args, "--set", s)
	}
	out, err := helm(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// objects is one render decoded.
type objects struct {
	configMaps      []corev1.ConfigMap
	services        []corev1.Service
	serviceAccounts []corev1.ServiceAccount
	pvcs            []corev1.PersistentVolumeClaim
	deployments     []appsv1.Deployment
	cronJobs        []batchv1.CronJob
	serviceMonitors []serviceMonitor
}

// serviceMonitor is the part of monitoring.coreos.com/v1 ServiceMonitor the
// chart writes. There is no Go type for it in k8s.io/api: the strict decode
// into this local struct proves the chart writes no field besides these (and
// the field names are the CRD's), not the whole CRD schema.
type serviceMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Selector  metav1.LabelSelector `json:"selector"`
		Endpoints []struct {
			Port          string `json:"port"`
			Path          string `json:"path"`
			Scheme        string `json:"scheme"`
			Interval      string `json:"interval"`
			ScrapeTimeout string `json:"scrapeTimeout"`
			Authorization *struct {
				Type        string                   `json:"type"`
				Credentials corev1.SecretKeySelector `json:"credentials"`
			} `json:"authorization"`
		} `json:"endpoints"`
	} `json:"spec"`
}

var docSep = regexp.MustCompile(`(?m)^---[ \t]*$`)

// decode splits a render into its documents and decodes each strictly (no
// unknown or duplicate field) into the API type of its kind.
func decode(t *testing.T, rendered string) objects {
	t.Helper()
	var o objects
	for i, doc := range docSep.Split(rendered, -1) {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			t.Fatalf("document %d: %v\n%s", i, err, doc)
		}
		if tm.Kind == "" {
			if strings.TrimSpace(stripComments(doc)) != "" {
				t.Fatalf("document %d has no kind:\n%s", i, doc)
			}
			continue
		}
		var target any
		want := ""
		switch tm.Kind {
		case "ConfigMap":
			o.configMaps = append(o.configMaps, corev1.ConfigMap{})
			target, want = &o.configMaps[len(o.configMaps)-1], "v1"
		case "Service":
			o.services = append(o.services, corev1.Service{})
			target, want = &o.services[len(o.services)-1], "v1"
		case "ServiceAccount":
			o.serviceAccounts = append(o.serviceAccounts, corev1.ServiceAccount{})
			target, want = &o.serviceAccounts[len(o.serviceAccounts)-1], "v1"
		case "PersistentVolumeClaim":
			o.pvcs = append(o.pvcs, corev1.PersistentVolumeClaim{})
			target, want = &o.pvcs[len(o.pvcs)-1], "v1"
		case "Deployment":
			o.deployments = append(o.deployments, appsv1.Deployment{})
			target, want = &o.deployments[len(o.deployments)-1], "apps/v1"
		case "CronJob":
			o.cronJobs = append(o.cronJobs, batchv1.CronJob{})
			target, want = &o.cronJobs[len(o.cronJobs)-1], "batch/v1"
		case "ServiceMonitor":
			o.serviceMonitors = append(o.serviceMonitors, serviceMonitor{})
			target, want = &o.serviceMonitors[len(o.serviceMonitors)-1], "monitoring.coreos.com/v1"
		default:
			t.Fatalf("document %d: unexpected kind %s", i, tm.Kind)
		}
		if tm.APIVersion != want {
			t.Errorf("%s: apiVersion %q, want %q", tm.Kind, tm.APIVersion, want)
		}
		if err := yaml.UnmarshalStrict([]byte(doc), target); err != nil {
			t.Fatalf("%s (document %d) does not decode strictly: %v\n%s", tm.Kind, i, err, doc)
		}
	}
	return o
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// config is the rendered configuration file, decoded loosely: the binary's
// own `config validate` is the strict check.
type config map[string]any

func (o objects) config(t *testing.T) (config, string) {
	t.Helper()
	if len(o.configMaps) != 1 {
		t.Fatalf("%d ConfigMaps, want 1", len(o.configMaps))
	}
	raw, ok := o.configMaps[0].Data["gosqlguard.yaml"]
	if !ok {
		t.Fatalf("ConfigMap has no gosqlguard.yaml: %v", o.configMaps[0].Data)
	}
	var c config
	if err := yaml.Unmarshal([]byte(raw), &c); err != nil {
		t.Fatalf("config: %v\n%s", err, raw)
	}
	return c, raw
}

func (c config) m(key string) map[string]any {
	v, _ := c[key].(map[string]any)
	return v
}

func (c config) list(key string) []map[string]any {
	var out []map[string]any
	items, _ := c[key].([]any)
	for _, it := range items {
		m, _ := it.(map[string]any)
		out = append(out, m)
	}
	return out
}

func (c config) catalogDriver() string {
	if d, _ := c.m("catalog")["driver"].(string); d != "" {
		return d
	}
	return "sqlite"
}

// fileRefs lists every path the config reads a secret or key from (keys
// ending in _file, anywhere), by its YAML path.
func fileRefs(v any, path string, out map[string]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if s, ok := x.(string); ok && strings.HasSuffix(k, "_file") {
				out[p] = s
				continue
			}
			fileRefs(x, p, out)
		}
	case []any:
		for i, x := range v {
			fileRefs(x, fmt.Sprintf("%s[%d]", path, i), out)
		}
	case config:
		fileRefs(map[string]any(v), path, out)
	}
}

var envRef = regexp.MustCompile(`^\$\{[A-Za-z_][A-Za-z0-9_]*\}$`)

// checkNoInlineSecret fails when a secret field of the config holds a value
// other than an ${ENV} reference.
func checkNoInlineSecret(t *testing.T, c config) {
	t.Helper()
	inline := func(path string, v any) {
		if s, ok := v.(string); ok && s != "" && !envRef.MatchString(s) {
			t.Errorf("%s is inline in the ConfigMap", path)
		} else if v != nil && !ok {
			t.Errorf("%s is inline in the ConfigMap", path)
		}
	}
	if c.catalogDriver() != "sqlite" {
		inline("catalog.dsn", c.m("catalog")["dsn"])
	}
	for i, s := range c.list("servers") {
		inline(fmt.Sprintf("servers[%d].password", i), s["password"])
	}
	for i, s := range c.list("storages") {
		inline(fmt.Sprintf("storages[%d].access_key_id", i), s["access_key_id"])
		inline(fmt.Sprintf("storages[%d].secret_access_key", i), s["secret_access_key"])
	}
	hooks, _ := c.m("notifications")["webhooks"].([]any)
	for i, h := range hooks {
		hm, _ := h.(map[string]any)
		inline(fmt.Sprintf("notifications.webhooks[%d].url", i), hm["url"])
	}
}

// durationSeconds parses the config's duration syntax (Go's units, d, w).
func durationSeconds(t *testing.T, s string) float64 {
	t.Helper()
	if s == "0" {
		return 0
	}
	parts := regexp.MustCompile(`([0-9]*\.?[0-9]+)([a-zµ]+)`).FindAllStringSubmatch(s, -1)
	if len(parts) == 0 {
		t.Fatalf("duration %q", s)
	}
	var total float64
	for _, p := range parts {
		n, err := strconv.ParseFloat(p[1], 64)
		if err != nil {
			t.Fatalf("duration %q: %v", s, err)
		}
		switch p[2] {
		case "d":
			total += n * 86400
		case "w":
			total += n * 7 * 86400
		default:
			d, err := time.ParseDuration(p[1] + p[2])
			if err != nil {
				t.Fatalf("duration %q: %v", s, err)
			}
			total += d.Seconds()
		}
	}
	return total
}

// checkPod asserts what every pod of the chart shares: the restricted
// security context, no service account token, the config, /tmp, data and
// secret volumes, and that every file the config reads is on a read-only
// Secret mount.
func checkPod(t *testing.T, what string, pod corev1.PodSpec, c config, cmName string) corev1.Container {
	t.Helper()
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Errorf("%s: automountServiceAccountToken is not false", what)
	}
	psc := pod.SecurityContext
	if psc == nil {
		t.Fatalf("%s: no pod securityContext", what)
	}
	if psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Errorf("%s: pod runAsNonRoot not true", what)
	}
	for name, v := range map[string]*int64{"runAsUser": psc.RunAsUser, "runAsGroup": psc.RunAsGroup, "fsGroup": psc.FSGroup} {
		if v == nil || *v != uid {
			t.Errorf("%s: pod %s is not %d", what, name, uid)
		}
	}
	if psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod seccompProfile is not RuntimeDefault", what)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%s: %d containers, want 1", what, len(pod.Containers))
	}
	ctr := pod.Containers[0]
	sc := ctr.SecurityContext
	if sc == nil {
		t.Fatalf("%s: no container securityContext", what)
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("%s: readOnlyRootFilesystem is not true", what)
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("%s: allowPrivilegeEscalation is not false", what)
	}
	if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Errorf("%s: container runAsNonRoot not true", what)
	}
	if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) != 0 {
		t.Errorf("%s: capabilities are not drop [ALL]: %+v", what, sc.Capabilities)
	}
	if sc.Privileged != nil && *sc.Privileged {
		t.Errorf("%s: privileged", what)
	}
	if sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: container seccompProfile is not RuntimeDefault", what)
	}
	if ctr.Resources.Limits.Memory().IsZero() || ctr.Resources.Requests.Memory().IsZero() || ctr.Resources.Requests.Cpu().IsZero() {
		t.Errorf("%s: resources lack a memory limit or requests: %+v", what, ctr.Resources)
	}
	if !slices.Contains(ctr.Args, "--config") || ctr.Args[slices.Index(ctr.Args, "--config")+1] != configPath {
		t.Errorf("%s: args %q do not pass --config %s", what, ctr.Args, configPath)
	}

	volumes := map[string]corev1.Volume{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = v
	}
	mounts := map[string]corev1.VolumeMount{}
	for _, m := range ctr.VolumeMounts {
		if _, dup := mounts[m.MountPath]; dup {
			t.Errorf("%s: %s mounted twice", what, m.MountPath)
		}
		mounts[m.MountPath] = m
		if _, ok := volumes[m.Name]; !ok {
			t.Errorf("%s: mount %s of a missing volume %s", what, m.MountPath, m.Name)
		}
	}
	// The config: the ConfigMap's key, read-only.
	cm, ok := mounts[configDir]
	if !ok || !cm.ReadOnly {
		t.Errorf("%s: %s is not mounted read-only: %+v", what, configDir, cm)
	} else if v := volumes[cm.Name]; v.ConfigMap == nil || v.ConfigMap.Name != cmName ||
		len(v.ConfigMap.Items) != 1 || v.ConfigMap.Items[0].Key != "gosqlguard.yaml" || v.ConfigMap.Items[0].Path != "gosqlguard.yaml" {
		t.Errorf("%s: %s is not ConfigMap %s's gosqlguard.yaml: %+v", what, configDir, cmName, v)
	}
	// /tmp: a writable emptyDir.
	if m, ok := mounts["/tmp"]; !ok || m.ReadOnly || volumes[m.Name].EmptyDir == nil {
		t.Errorf("%s: /tmp is not a writable emptyDir: %+v %+v", what, m, volumes[m.Name])
	}
	// Every Secret volume is mounted read-only, with mode 0440.
	for _, m := range ctr.VolumeMounts {
		if s := volumes[m.Name].Secret; s != nil {
			if !m.ReadOnly {
				t.Errorf("%s: Secret %s mounted writable at %s", what, s.SecretName, m.MountPath)
			}
			if s.DefaultMode == nil || *s.DefaultMode != 0o440 {
				t.Errorf("%s: Secret %s defaultMode is not 0440", what, s.SecretName)
			}
		}
	}
	// Every file the config reads is under a read-only Secret mount.
	refs := map[string]string{}
	fileRefs(c, "", refs)
	for key, path := range refs {
		found := false
		for mp, m := range mounts {
			if strings.HasPrefix(path, strings.TrimSuffix(mp, "/")+"/") && m.ReadOnly && volumes[m.Name].Secret != nil {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: config %s %q is on no read-only Secret mount", what, key, path)
		}
	}
	// The working directory and the SQLite catalog are on the data volume.
	data, ok := mounts[ctr.WorkingDir]
	if !ok || data.ReadOnly {
		t.Errorf("%s: the working directory %q is not a writable mount", what, ctr.WorkingDir)
	}
	if c.catalogDriver() == "sqlite" {
		dsn, _ := c.m("catalog")["dsn"].(string)
		if !strings.HasPrefix(dsn, ctr.WorkingDir+"/") {
			t.Errorf("%s: the SQLite catalog %q is not on the data volume %s", what, dsn, ctr.WorkingDir)
		}
	}
	return ctr
}

// example is one values file with what its render must show.
type example struct {
	values   string // "" for the chart's defaults
	mode     string // daemon or cronjob
	replicas int32
	driver   string
	monitor  bool
	pvc      bool
	jobs     map[string]string // cronjob: CronJob name -> backup type
}

var examples = []example{
	{values: "", mode: "daemon", replicas: 1, driver: "sqlite", pvc: true},
	{values: "sqlite-single.yaml", mode: "daemon", replicas: 1, driver: "sqlite", pvc: true},
	{values: "postgres-replicas.yaml", mode: "daemon", replicas: 3, driver: "postgres", monitor: true},
	{values: "cronjob.yaml", mode: "cronjob", driver: "mysql",
		jobs: map[string]string{"gs-gosqlguard-daily": "daily", "gs-gosqlguard-weekly": "weekly"}},
}

func (e example) name() string {
	if e.values == "" {
		return "defaults"
	}
	return strings.TrimSuffix(e.values, ".yaml")
}

func (e example) path() string {
	if e.values == "" {
		return ""
	}
	return filepath.Join(chartDir, "examples", e.values)
}

func TestExamplesRender(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(chartDir, "examples", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no example values files: %v", err)
	}
	for _, f := range files {
		if !slices.ContainsFunc(examples, func(e example) bool { return e.values == filepath.Base(f) }) {
			t.Errorf("example %s is not covered by this test", filepath.Base(f))
		}
	}
	for _, e := range examples {
		t.Run(e.name(), func(t *testing.T) {
			o := decode(t, render(t, e.path()))
			c, raw := o.config(t)
			checkRender(t, e, o, c, raw)
			out := validateConfig(t, raw)
			checkMemory(t, o, c, out)
		})
	}
}

func checkRender(t *testing.T, e example, o objects, c config, raw string) {
	fullname := release + "-gosqlguard"
	if got := c.catalogDriver(); got != e.driver {
		t.Errorf("catalog driver %q, want %q", got, e.driver)
	}
	checkNoInlineSecret(t, c)
	cm := o.configMaps[0]
	for _, meta := range []metav1.ObjectMeta{cm.ObjectMeta} {
		if meta.Namespace != namespace {
			t.Errorf("%s: namespace %q, want %q", meta.Name, meta.Namespace, namespace)
		}
	}
	if len(o.serviceAccounts) != 1 || o.serviceAccounts[0].AutomountServiceAccountToken == nil || *o.serviceAccounts[0].AutomountServiceAccountToken {
		t.Errorf("want one ServiceAccount with automountServiceAccountToken false: %+v", o.serviceAccounts)
	}
	if e.pvc != (len(o.pvcs) == 1) {
		t.Errorf("PersistentVolumeClaims: %d, want one: %v", len(o.pvcs), e.pvc)
	}
	if len(o.serviceMonitors) > 0 != e.monitor {
		t.Errorf("ServiceMonitors: %d, want one: %v", len(o.serviceMonitors), e.monitor)
	}

	switch e.mode {
	case "daemon":
		if len(o.deployments) != 1 || len(o.services) != 1 || len(o.cronJobs) != 0 {
			t.Fatalf("daemon: %d Deployments, %d Services, %d CronJobs; want 1, 1, 0", len(o.deployments), len(o.services), len(o.cronJobs))
		}
		d := o.deployments[0]
		if d.Namespace != namespace || d.Name != fullname {
			t.Errorf("Deployment %s/%s", d.Namespace, d.Name)
		}
		if d.Spec.Replicas == nil || *d.Spec.Replicas != e.replicas {
			t.Errorf("replicas %v, want %d", d.Spec.Replicas, e.replicas)
		}
		wantStrategy := appsv1.RollingUpdateDeploymentStrategyType
		if e.driver == "sqlite" {
			wantStrategy = appsv1.RecreateDeploymentStrategyType
		}
		if d.Spec.Strategy.Type != wantStrategy {
			t.Errorf("strategy %q with catalog %s, want %q", d.Spec.Strategy.Type, e.driver, wantStrategy)
		}
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil {
			t.Fatal(err)
		}
		podLabels := d.Spec.Template.Labels
		if !sel.Matches(labels.Set(podLabels)) {
			t.Errorf("the Deployment's selector %v does not match its pods %v", d.Spec.Selector, podLabels)
		}
		checkSpread(t, "Deployment", d.Spec.Template.Spec, podLabels)
		if d.Spec.Template.Annotations["checksum/config"] == "" {
			t.Errorf("no checksum/config annotation on the pod template")
		}
		pod := d.Spec.Template.Spec
		ctr := checkPod(t, "Deployment", pod, c, cm.Name)
		if len(ctr.Args) == 0 || ctr.Args[0] != "serve" {
			t.Errorf("args %q, want serve ...", ctr.Args)
		}
		// HTTP: the daemon listens where the probes and the Service look.
		if l, _ := c.m("http")["listen"].(string); l != ":8080" {
			t.Errorf("http.listen %q, want :8080", l)
		}
		if tokens, _ := c.m("http")["auth"].(map[string]any)["tokens"].([]any); len(tokens) == 0 {
			t.Errorf("no API token: the daemon refuses to serve off loopback without one")
		}
		if len(ctr.Ports) != 1 || ctr.Ports[0].Name != "http" || ctr.Ports[0].ContainerPort != 8080 {
			t.Errorf("container ports %+v, want http 8080", ctr.Ports)
		}
		for _, p := range []struct {
			name  string
			probe *corev1.Probe
			path  string
		}{{"liveness", ctr.LivenessProbe, "/healthz"}, {"readiness", ctr.ReadinessProbe, "/readyz"}, {"startup", ctr.StartupProbe, "/healthz"}} {
			if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port.String() != "http" {
				t.Errorf("%s probe %+v, want GET %s on port http", p.name, p.probe, p.path)
			}
		}
		svc := o.services[0]
		if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Name != "http" || svc.Spec.Ports[0].Port != 8080 || svc.Spec.Ports[0].TargetPort.String() != "http" {
			t.Errorf("Service ports %+v, want http 8080 -> http", svc.Spec.Ports)
		}
		if !labelSet(svc.Spec.Selector).matchedBy(podLabels) {
			t.Errorf("the Service's selector %v does not match the pods %v", svc.Spec.Selector, podLabels)
		}
		// Grace: above the drain time of running backups.
		shutdown := "5m"
		if s, ok := c.m("daemon")["shutdown_timeout"].(string); ok {
			shutdown = s
		}
		if pod.TerminationGracePeriodSeconds == nil || float64(*pod.TerminationGracePeriodSeconds) <= durationSeconds(t, shutdown) {
			t.Errorf("terminationGracePeriodSeconds %s is not above shutdown_timeout %s", ptrString(pod.TerminationGracePeriodSeconds), shutdown)
		}
		if e.pvc {
			v := volumeByMount(pod, ctr.WorkingDir)
			if v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != o.pvcs[0].Name {
				t.Errorf("the data volume is not the claim %s: %+v", o.pvcs[0].Name, v)
			}
		}
		if e.monitor {
			sm := o.serviceMonitors[0]
			if !labelSet(sm.Spec.Selector.MatchLabels).matchedBy(svc.Labels) {
				t.Errorf("the ServiceMonitor's selector %v does not match the Service %v", sm.Spec.Selector.MatchLabels, svc.Labels)
			}
			if len(sm.Spec.Endpoints) != 1 {
				t.Fatalf("ServiceMonitor endpoints: %+v", sm.Spec.Endpoints)
			}
			ep := sm.Spec.Endpoints[0]
			if ep.Port != "http" || ep.Path != "/metrics" {
				t.Errorf("ServiceMonitor endpoint %s %s, want http /metrics", ep.Port, ep.Path)
			}
			public, _ := c.m("http")["auth"].(map[string]any)["metrics_public"].(bool)
			if !public && (ep.Authorization == nil || ep.Authorization.Type != "Bearer" ||
				ep.Authorization.Credentials.Name == "" || ep.Authorization.Credentials.Key == "") {
				t.Errorf("/metrics needs a token but the ServiceMonitor has no bearer Secret: %+v", ep.Authorization)
			}
		}
	case "cronjob":
		if len(o.deployments) != 0 || len(o.services) != 0 {
			t.Errorf("cronjob mode renders %d Deployments and %d Services", len(o.deployments), len(o.services))
		}
		if len(o.cronJobs) != len(e.jobs) {
			t.Fatalf("%d CronJobs, want %d", len(o.cronJobs), len(e.jobs))
		}
		checkCronJobNames(t, o.cronJobs)
		for _, cj := range o.cronJobs {
			typ, ok := e.jobs[cj.Name]
			if !ok {
				t.Errorf("unexpected CronJob %s", cj.Name)
				continue
			}
			if cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
				t.Errorf("%s: concurrencyPolicy %q", cj.Name, cj.Spec.ConcurrencyPolicy)
			}
			if !cronSchedule.MatchString(cj.Spec.Schedule) {
				t.Errorf("%s: schedule %q is neither 5 fields nor a macro", cj.Name, cj.Spec.Schedule)
			}
			pod := cj.Spec.JobTemplate.Spec.Template.Spec
			if pod.RestartPolicy != corev1.RestartPolicyNever {
				t.Errorf("%s: restartPolicy %q", cj.Name, pod.RestartPolicy)
			}
			ctr := checkPod(t, "CronJob "+cj.Name, pod, c, cm.Name)
			checkSpread(t, "CronJob "+cj.Name, pod, cj.Spec.JobTemplate.Spec.Template.Labels)
			i := slices.Index(ctr.Args, "--type")
			if len(ctr.Args) == 0 || ctr.Args[0] != "backup" || i < 0 || ctr.Args[i+1] != typ || slices.Contains(ctr.Args, "--no-prune") {
				t.Errorf("%s: args %q, want backup ... --type %s (with retention)", cj.Name, ctr.Args, typ)
			}
			if _, ok := c.m("backup_types")[typ]; !ok {
				t.Errorf("%s: type %s is not in the config's backup_types", cj.Name, typ)
			}
		}
	}
	if t.Failed() {
		t.Logf("config:\n%s", raw)
	}
}

type labelSet map[string]string

// cronSchedule is what a CronJob's schedule may be: 5 fields or a macro.
var cronSchedule = regexp.MustCompile(`^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|\S+(\s+\S+){4})$`)

// checkCronJobNames fails unless every CronJob's name is a DNS-1123 label of
// at most 52 characters (the Job controller appends 11) and no two are equal.
func checkCronJobNames(t *testing.T, cronJobs []batchv1.CronJob) {
	t.Helper()
	seen := map[string]bool{}
	for _, cj := range cronJobs {
		if errs := validation.IsDNS1123Label(cj.Name); len(errs) > 0 || len(cj.Name) > 52 {
			t.Errorf("CronJob name %q (%d characters) is not a DNS-1123 label of at most 52: %v", cj.Name, len(cj.Name), errs)
		}
		if seen[cj.Name] {
			t.Errorf("two CronJobs named %q", cj.Name)
		}
		seen[cj.Name] = true
	}
}

// checkSpread fails unless every topology spread constraint of pod selects
// exactly the pods of its own release and component (podLabels).
func checkSpread(t *testing.T, what string, pod corev1.PodSpec, podLabels map[string]string) {
	t.Helper()
	for i, c := range pod.TopologySpreadConstraints {
		sel, err := metav1.LabelSelectorAsSelector(c.LabelSelector)
		if err != nil || c.LabelSelector == nil || !sel.Matches(labels.Set(podLabels)) {
			t.Errorf("%s: topologySpreadConstraints[%d] selector %v does not match the pods %v (%v)", what, i, c.LabelSelector, podLabels, err)
			continue
		}
		for _, k := range []string{"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component"} {
			if c.LabelSelector.MatchLabels[k] != podLabels[k] {
				t.Errorf("%s: topologySpreadConstraints[%d] selector %v lacks %s=%s: it would count other releases' pods", what, i, c.LabelSelector.MatchLabels, k, podLabels[k])
			}
		}
	}
}

func ptrString[T any](p *T) string {
	if p == nil {
		return "unset"
	}
	return fmt.Sprint(*p)
}

// matchedBy reports whether every label of l is in labels with its value.
func (l labelSet) matchedBy(labels map[string]string) bool {
	if len(l) == 0 {
		return false
	}
	for k, v := range l {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func volumeByMount(pod corev1.PodSpec, path string) corev1.Volume {
	for _, m := range pod.Containers[0].VolumeMounts {
		if m.MountPath == path {
			for _, v := range pod.Volumes {
				if v.Name == m.Name {
					return v
				}
			}
		}
	}
	return corev1.Volume{}
}

// validateConfig runs the real binary's `config validate` on a rendered
// config. The files it names (Secret mounts in a pod) are made here, in a
// temp directory, with contents of the right shape, and the paths rewritten
// to them: validate reads every *_file at load.
func validateConfig(t *testing.T, raw string) string {
	t.Helper()
	var c config
	if err := yaml.Unmarshal([]byte(raw), &c); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	refs := map[string]string{}
	fileRefs(c, "", refs)
	var identity, recipient string
	contents := func(key string) string {
		switch {
		case strings.HasSuffix(key, "catalog.dsn_file"):
			switch c.catalogDriver() {
			case "postgres":
				return "postgres://gosqlguard:pw@catalog-db:5432/gosqlguard?sslmode=verify-full\n"
			case "mysql":
				return "gosqlguard:pw@tcp(catalog-db:3306)/gosqlguard?tls=true\n"
			}
		case strings.HasSuffix(key, "identity_file"), strings.HasSuffix(key, "recipients_file"):
			if identity == "" {
				identity, recipient = ageKey(t)
			}
			if strings.HasSuffix(key, "identity_file") {
				return identity
			}
			return recipient + "\n"
		case strings.HasSuffix(key, "url_file"):
			return "https://hooks.example.com/gosqlguard\n"
		}
		return "not-a-real-secret\n"
	}
	replaced := raw
	for key, path := range refs {
		fake := filepath.Join(dir, strings.NewReplacer("/", "_", "[", "_", "]", "_").Replace(key))
		if err := os.WriteFile(fake, []byte(contents(key)), 0o600); err != nil {
			t.Fatal(err)
		}
		replaced = strings.ReplaceAll(replaced, " "+path+"\n", " "+fake+"\n")
	}
	cfgFile := filepath.Join(dir, "gosqlguard.yaml")
	if err := os.WriteFile(cfgFile, []byte(replaced), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(gosqlguardBin, "config", "validate", "--config", cfgFile)
	cmd.Dir = dir
	// Only the file counts: no GOSQLGUARD_* variable of the caller's.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOSQLGUARD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gosqlguard config validate: %v\n%s\nconfig:\n%s", err, out, replaced)
	}
	if strings.Contains(string(out), "warning:") {
		t.Errorf("config validate warns:\n%s", out)
	}
	t.Logf("config validate: %s", strings.TrimSpace(string(out)))
	return string(out)
}

var memoryBound = regexp.MustCompile(`upload memory bound .* = ([0-9.]+) (MiB|GiB)`)

// checkMemory asserts that the pods' memory limit holds the upload buffers
// `config validate` reports for each S3 storage, times concurrency.total
// backups at once, plus 64 MiB for the daemon and a dump tool.
func checkMemory(t *testing.T, o objects, c config, validateOut string) {
	t.Helper()
	var pods []corev1.PodSpec
	for _, d := range o.deployments {
		pods = append(pods, d.Spec.Template.Spec)
	}
	for _, cj := range o.cronJobs {
		pods = append(pods, cj.Spec.JobTemplate.Spec.Template.Spec)
	}
	var perBackup float64 // MiB
	for _, m := range memoryBound.FindAllStringSubmatch(validateOut, -1) {
		n, _ := strconv.ParseFloat(m[1], 64)
		if m[2] == "GiB" {
			n *= 1024
		}
		perBackup += n
	}
	total := 2.0
	if n, ok := c.m("concurrency")["total"].(float64); ok {
		total = n
	}
	need := int64((perBackup*total + 64) * 1024 * 1024)
	for _, pod := range pods {
		limit := pod.Containers[0].Resources.Limits.Memory()
		if limit.Value() < need {
			t.Errorf("memory limit %s is below %d MiB: %.0f MiB of upload buffers x %.0f backups + 64 MiB",
				limit, need>>20, perBackup, total)
		}
	}
}

// ageKey makes an age identity and its recipient with the age-keygen of the
// project's own module (filippo.io/age).
func ageKey(t *testing.T) (identity, recipient string) {
	t.Helper()
	cmd := exec.Command("go", "run", "filippo.io/age/cmd/age-keygen")
	cmd.Dir = repoRoot
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("age-keygen: %v: %s", err, stderr.String())
	}
	for _, line := range strings.Split(stdout.String(), "\n") {
		if r, ok := strings.CutPrefix(line, "# public key: "); ok {
			recipient = r
		}
	}
	if recipient == "" {
		t.Fatalf("age-keygen printed no public key")
	}
	return stdout.String(), recipient
}

// TestRenderRefuses checks the values the chart refuses, with their message.
func TestRenderRefuses(t *testing.T) {
	pg := []string{"config.catalog.driver=postgres", "config.catalog.dsn_file=/run/secrets/gosqlguard/dsn"}
	local := func(path string) []string {
		return []string{"config.storages[0].name=l", "config.storages[0].type=local", "config.storages[0].path=" + path}
	}
	cron := func(set ...string) []string {
		return append([]string{"mode=cronjob", "config.backup_types.nightly_full.schedule=@daily"}, set...)
	}
	for _, tc := range []struct {
		name string
		set  []string
		want string
		kube string // --kube-version; kubeVersion when empty
	}{
		{"replicas on sqlite", []string{"replicaCount=2"}, "replicaCount is 2 but the catalog is the embedded SQLite one", ""},
		{"replicas on a ReadWriteOnce claim", []string{"replicaCount=2", "config.catalog.driver=postgres", "config.catalog.dsn_file=/run/secrets/gosqlguard/dsn"}, "ReadWriteOnce", ""},
		{"inline password", []string{"config.servers[0].name=main", "config.servers[0].type=mysql", "config.servers[0].host=db", "config.servers[0].user=u", "config.servers[0].password=hunter2"}, "config.servers[0].password is inline", ""},
		{"inline S3 key", []string{"config.storages[0].name=s3", "config.storages[0].type=s3", "config.storages[0].bucket=b", "config.storages[0].secret_access_key=abc"}, "config.storages[0].secret_access_key is inline", ""},
		{"inline shared catalog DSN", []string{"config.catalog.driver=postgres", "config.catalog.dsn=postgres://u:pw@db/x"}, "config.catalog.dsn is inline", ""},
		{"no token", []string{"config.http.auth.tokens=null"}, "config.http.auth.tokens is empty", ""},
		{"listen set", []string{"config.http.listen=127.0.0.1:8080"}, "config.http.listen is set by the chart", ""},
		{"monitor without token", []string{"serviceMonitor.enabled=true"}, "serviceMonitor.bearerTokenSecret", ""},
		{"cronjob of an unknown type", []string{"mode=cronjob", "cronjob.jobs[0].type=hourly", "cronjob.jobs[0].schedule=@hourly"}, `"hourly" is not a key of config.backup_types`, ""},
		{"shutdown_timeout from the environment", []string{"config.daemon.shutdown_timeout=${T}"}, "set terminationGracePeriodSeconds", ""},
		{"Kubernetes older than 1.25", nil, "chart requires kubeVersion: >=1.25.0-0", "1.24.9"},
		// CronJob names and schedules.
		{"two CronJobs of one type", cron("cronjob.jobs[0].type=daily", "cronjob.jobs[0].schedule=@daily", "cronjob.jobs[1].type=daily", "cronjob.jobs[1].schedule=@hourly"),
			`cronjob.jobs[0] and cronjob.jobs[1] both make the CronJob "gs-gosqlguard-daily"`, ""},
		{"two CronJob names equal once sanitised", cron("cronjob.jobs[0].type=daily", "cronjob.jobs[0].schedule=@daily", "cronjob.jobs[0].name=Nightly_Full",
			"cronjob.jobs[1].type=nightly_full", "cronjob.jobs[1].schedule=@daily"), `both make the CronJob "gs-gosqlguard-nightly-full"`, ""},
		{"two CronJob names equal once cut to 52", cron("fullnameOverride="+strings.Repeat("a", 45),
			"cronjob.jobs[0].type=daily", "cronjob.jobs[0].schedule=@daily", "cronjob.jobs[0].name=nightly-backup-a",
			"cronjob.jobs[1].type=daily", "cronjob.jobs[1].schedule=@daily", "cronjob.jobs[1].name=nightly-backup-b"),
			"set distinct, short cronjob.jobs[].name", ""},
		{"CronJob name of no usable character", cron("cronjob.jobs[0].type=daily", "cronjob.jobs[0].schedule=@daily", "cronjob.jobs[0].name=__"),
			"set cronjob.jobs[0].name", ""},
		{"schedule of 4 fields", cron("cronjob.jobs[0].type=daily", "cronjob.jobs[0].schedule=30 2 * *"),
			`cronjob.jobs[0].schedule "30 2 * *" is not a Kubernetes CronJob schedule`, ""},
		{"schedule of 6 fields", cron("cronjob.jobs[0].type=daily", "cronjob.jobs[0].schedule=0 30 2 * * *"), "is not a Kubernetes CronJob schedule", ""},
		{"schedule of an unknown macro", cron("cronjob.jobs[0].type=daily", "cronjob.jobs[0].schedule=@nightly"), "is not a Kubernetes CronJob schedule", ""},
		// Writable paths.
		{"local storage off the data volume", local("/backups"),
			`config.storages[0].path "/backups" is not under persistence.mountPath "/var/lib/gosqlguard"`, ""},
		{"local storage escaping the data volume", local("/var/lib/gosqlguard/../backups"), "is not under persistence.mountPath", ""},
		{"local storage relative, out of the data volume", local("../backups"), "is not under persistence.mountPath", ""},
		{"local storage on a read-only extra mount", append(local("/backups/x"), "extraVolumes[0].name=b", "extraVolumes[0].emptyDir.medium=",
			"extraVolumeMounts[0].name=b", "extraVolumeMounts[0].mountPath=/backups", "extraVolumeMounts[0].readOnly=true"), "is not under persistence.mountPath", ""},
		{"mountPath moved away from the local storage", []string{"persistence.mountPath=/data"},
			`config.storages[0].path "/var/lib/gosqlguard/backups" is not under persistence.mountPath "/data"`, ""},
		{"SQLite catalog off the data volume", []string{"config.catalog.dsn=/catalog/catalog.db"},
			`config.catalog.dsn "/catalog/catalog.db" (the SQLite catalog file) is not under persistence.mountPath`, ""},
		{"relative mountPath", []string{"persistence.mountPath=data"}, "must be an absolute path", ""},
		{"mountPath on /tmp", append(local("backups"), "persistence.mountPath=/tmp/"), `persistence.mountPath "/tmp" is the /tmp emptyDir`, ""},
		// Secret mounts.
		{"two Secrets at one mountPath", []string{"secrets[0].name=a", "secrets[0].mountPath=/run/secrets/gosqlguard",
			"secrets[1].name=b", "secrets[1].mountPath=/run/secrets/gosqlguard/"}, `secrets[1].mountPath "/run/secrets/gosqlguard" is also secrets[0].mountPath`, ""},
		{"a Secret on the data volume", []string{"secrets[0].name=a", "secrets[0].mountPath=/var/lib/gosqlguard"},
			`secrets[0].mountPath "/var/lib/gosqlguard" is the data volume's persistence.mountPath`, ""},
		{"a Secret on the config", []string{"secrets[0].name=a", "secrets[0].mountPath=/etc/gosqlguard"}, "is the config's mount", ""},
		// Tokens.
		{"tokens of one empty string", []string{"config.http.auth.tokens={}"}, `config.http.auth.tokens[0] is "", not a token`, ""},
		{"token without a secret", []string{"config.http.auth.tokens[0].name=admin", "config.http.auth.tokens[0].role=admin"},
			"config.http.auth.tokens is empty (no entry with token_file or token_sha256)", ""},
		{"tokens not a list", []string{"config.http.auth.tokens=abc"}, "config.http.auth.tokens is not a list", ""},
		// Ports and claims.
		{"privileged containerPort", []string{"containerPort=80"}, "containerPort 80: the daemon runs as a non-root user", ""},
		{"replicas on an existing claim said ReadWriteOnce", append([]string{"replicaCount=2", "persistence.existingClaim=shared"}, pg...),
			`persistence.existingClaim "shared" and persistence.accessModes [ReadWriteOnce]`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kube := tc.kube
			if kube == "" {
				kube = kubeVersion
			}
			args := []string{"template", release, chartDir, "--kube-version", kube}
			for _, s := range tc.set {
				args = append(args, "--set", s)
			}
			_, err := helm(args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("render with %q: %v, want an error with %q", tc.set, err, tc.want)
			}
		})
	}
	// An env reference in place of a secret is not inline, and an explicit
	// grace period replaces the derived one.
	o := decode(t, render(t, "", "config.servers[0].password=${DB_PASSWORD}",
		"config.servers[0].name=main", "config.servers[0].type=mysql", "config.servers[0].host=db", "config.servers[0].user=u",
		"config.daemon.shutdown_timeout=1h30m"))
	if g := o.deployments[0].Spec.Template.Spec.TerminationGracePeriodSeconds; g == nil || *g != 5400+30 {
		t.Errorf("terminationGracePeriodSeconds for 1h30m: %v, want 5430", g)
	}
	o = decode(t, render(t, "", "terminationGracePeriodSeconds=900"))
	if g := o.deployments[0].Spec.Template.Spec.TerminationGracePeriodSeconds; g == nil || *g != 900 {
		t.Errorf("terminationGracePeriodSeconds: %v, want 900", g)
	}

	// CronJob names are DNS-1123 labels made from the job's name or type, cut
	// to 52 characters; every macro and 5-field schedule is accepted.
	o = decode(t, render(t, "", cron("cronjob.jobs[0].type=nightly_full", "cronjob.jobs[0].schedule=@midnight",
		"cronjob.jobs[1].type=daily", "cronjob.jobs[1].schedule=30 2 * * MON-FRI", "cronjob.jobs[1].name=Daily.Run",
		"cronjob.jobs[2].type=daily", "cronjob.jobs[2].schedule=@weekly", "cronjob.jobs[2].name=-Sunday Full-",
		"cronjob.jobs[3].type=daily", `cronjob.jobs[3].schedule=*/15 0-6 1\,15 */2 ?`, "cronjob.jobs[3].name="+strings.Repeat("long_", 20))...))
	var names []string
	for _, cj := range o.cronJobs {
		names = append(names, cj.Name)
	}
	want := []string{"gs-gosqlguard-nightly-full", "gs-gosqlguard-daily-run", "gs-gosqlguard-sunday-full", "gs-gosqlguard-long-long-long-long-long-long-long-lon"}
	if !slices.Equal(names, want) {
		t.Errorf("CronJob names %q, want %q", names, want)
	}
	checkCronJobNames(t, o.cronJobs)
	o = decode(t, render(t, "", cron("fullnameOverride=Backups_"+strings.Repeat("x", 60), "cronjob.jobs[0].type=daily", "cronjob.jobs[0].schedule=@daily")...))
	checkCronJobNames(t, o.cronJobs)

	// A local storage or an SQLite catalog at a relative path is on the data
	// volume (the working directory), and one under a writable extra mount
	// is accepted.
	decode(t, render(t, "", append(local("backups"), "config.catalog.dsn=catalog/gosqlguard.db")...))
	decode(t, render(t, "", append(local("/backups/x"), "extraVolumes[0].name=b", "extraVolumes[0].emptyDir.medium=",
		"extraVolumeMounts[0].name=b", "extraVolumeMounts[0].mountPath=/backups")...))
	o = decode(t, render(t, "", append(local("/data/backups"), "persistence.mountPath=/data")...))
	if wd := o.deployments[0].Spec.Template.Spec.Containers[0].WorkingDir; wd != "/data" {
		t.Errorf("workingDir %q with persistence.mountPath /data", wd)
	}
	if c, _ := o.config(t); c.m("catalog")["dsn"] != "/data/catalog.db" {
		t.Errorf("catalog.dsn %v with persistence.mountPath /data, want /data/catalog.db", c.m("catalog")["dsn"])
	}

	// service.port moves the Service's port only: the daemon still listens on
	// 8080 (a non-root process cannot bind 80), and the Service maps to it.
	o = decode(t, render(t, "", "service.port=80"))
	ctr := o.deployments[0].Spec.Template.Spec.Containers[0]
	if c, _ := o.config(t); c.m("http")["listen"] != ":8080" {
		t.Errorf("http.listen %v with service.port 80, want :8080", c.m("http")["listen"])
	}
	if len(ctr.Ports) != 1 || ctr.Ports[0].ContainerPort != 8080 || ctr.Ports[0].Name != "http" {
		t.Errorf("container ports %+v with service.port 80, want http 8080", ctr.Ports)
	}
	if p := o.services[0].Spec.Ports; len(p) != 1 || p[0].Port != 80 || p[0].TargetPort.String() != "http" {
		t.Errorf("Service ports %+v, want 80 -> http", p)
	}

	// An existing claim said ReadWriteMany takes replicas, rolling, and no
	// claim is created.
	o = decode(t, render(t, "", append([]string{"replicaCount=3", "persistence.existingClaim=shared", "persistence.accessModes={ReadWriteMany}"}, pg...)...))
	d := o.deployments[0]
	if len(o.pvcs) != 0 || *d.Spec.Replicas != 3 || d.Spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType {
		t.Errorf("existing ReadWriteMany claim: %d claims made, %d replicas, strategy %s; want 0, 3, RollingUpdate", len(o.pvcs), *d.Spec.Replicas, d.Spec.Strategy.Type)
	}
	if v := volumeByMount(d.Spec.Template.Spec, "/var/lib/gosqlguard"); v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != "shared" {
		t.Errorf("the data volume is not the claim shared: %+v", v)
	}

	// A topology spread constraint without a labelSelector gets the chart's
	// selector labels and the pods' component; one with its own keeps it.
	spread := []string{"topologySpreadConstraints[0].maxSkew=1", "topologySpreadConstraints[0].topologyKey=kubernetes.io/hostname",
		"topologySpreadConstraints[0].whenUnsatisfiable=ScheduleAnyway"}
	for _, mode := range []string{"daemon", "cronjob"} {
		o = decode(t, render(t, "", append(spread, "mode="+mode)...))
		pod, podLabels := corev1.PodSpec{}, map[string]string{}
		if mode == "daemon" {
			pod, podLabels = o.deployments[0].Spec.Template.Spec, o.deployments[0].Spec.Template.Labels
		} else {
			pod, podLabels = o.cronJobs[0].Spec.JobTemplate.Spec.Template.Spec, o.cronJobs[0].Spec.JobTemplate.Spec.Template.Labels
		}
		if len(pod.TopologySpreadConstraints) != 1 {
			t.Fatalf("%s: topologySpreadConstraints %+v", mode, pod.TopologySpreadConstraints)
		}
		checkSpread(t, mode, pod, podLabels)
	}
	o = decode(t, render(t, "", append(spread, "topologySpreadConstraints[0].labelSelector.matchLabels.team=db")...))
	if sel := o.deployments[0].Spec.Template.Spec.TopologySpreadConstraints[0].LabelSelector; sel == nil || len(sel.MatchLabels) != 1 || sel.MatchLabels["team"] != "db" {
		t.Errorf("a given labelSelector was changed: %+v", sel)
	}
	o = decode(t, render(t, filepath.Join(chartDir, "examples", "postgres-replicas.yaml")))
	if len(o.deployments[0].Spec.Template.Spec.TopologySpreadConstraints) == 0 {
		t.Errorf("examples/postgres-replicas.yaml renders no topologySpreadConstraints")
	}

	// The chart says which Kubernetes it needs (the docs say 1.25).
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Metadata.KubeVersion != ">=1.25.0-0" {
		t.Errorf("Chart.yaml kubeVersion %q, want >=1.25.0-0", ch.Metadata.KubeVersion)
	}
}

// TestPlainManifestsUpToDate re-renders deploy/kubernetes with its script
// into a temp directory and compares.
func TestPlainManifestsUpToDate(t *testing.T) {
	out := t.TempDir()
	cmd := exec.Command("bash", filepath.Join(repoRoot, "deploy", "kubernetes", "render.sh"), out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("render.sh: %v\n%s", err, b)
	}
	fresh, _ := filepath.Glob(filepath.Join(out, "*.yaml"))
	committed, _ := filepath.Glob(filepath.Join(repoRoot, "deploy", "kubernetes", "*.yaml"))
	if len(fresh) == 0 || len(fresh) != len(committed) {
		t.Fatalf("render.sh made %d files, deploy/kubernetes has %d", len(fresh), len(committed))
	}
	for _, f := range fresh {
		want, _ := os.ReadFile(f)
		got, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "kubernetes", filepath.Base(f)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("deploy/kubernetes/%s is not a fresh render of the chart (%v): run deploy/kubernetes/render.sh", filepath.Base(f), err)
		}
		// The plain manifests decode strictly too.
		decode(t, string(want))
	}
}

// TestNotes renders NOTES.txt (helm template leaves it out) through helm's
// own install action, client-only, for the defaults and each example.
func TestNotes(t *testing.T) {
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range examples {
		t.Run(e.name(), func(t *testing.T) {
			vals := map[string]any{}
			if e.path() != "" {
				if vals, err = chartutil.ReadValuesFile(e.path()); err != nil {
					t.Fatal(err)
				}
			}
			kv, err := chartutil.ParseKubeVersion(kubeVersion)
			if err != nil {
				t.Fatal(err)
			}
			cfg := &action.Configuration{
				Releases:     storage.Init(driver.NewMemory()),
				KubeClient:   &kubefake.PrintingKubeClient{Out: io.Discard},
				Capabilities: chartutil.DefaultCapabilities,
				Log:          func(string, ...any) {},
			}
			inst := action.NewInstall(cfg)
			inst.ClientOnly, inst.DryRun = true, true
			inst.ReleaseName, inst.Namespace = release, namespace
			inst.KubeVersion = kv
			rel, err := inst.Run(ch, vals)
			if err != nil {
				t.Fatal(err)
			}
			notes := rel.Info.Notes
			t.Logf("NOTES:\n%s", notes)
			want := []string{"(" + e.mode + " mode)", "Catalog: " + e.driver}
			if e.mode == "daemon" {
				want = append(want, "port-forward svc/gs-gosqlguard 8080:8080", fmt.Sprintf("replicas: %d", e.replicas))
			} else {
				want = append(want, "gosqlguard backup --type daily", "create job --from=cronjob/gs-gosqlguard-daily")
			}
			for _, w := range want {
				if !strings.Contains(notes, w) {
					t.Errorf("NOTES lack %q:\n%s", w, notes)
				}
			}
			if strings.Contains(notes, "<no value>") {
				t.Errorf("NOTES print <no value>:\n%s", notes)
			}
		})
	}
}
