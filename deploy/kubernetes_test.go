package deploy_test

import (
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tandem-cluster/tandem/pkg/natsx"
)

// The Tandem services: each a Deployment with its environment prefix and
// gRPC port. The gateway is the only one without JetStream buckets of its own.
var services = []struct {
	name, prefix string
	grpc         int32
}{
	{"profiles", "PROFILES", 7101},
	{"competencies", "COMPETENCIES", 7102},
	{"matching", "MATCHING", 7103},
	{"meetings", "MEETINGS", 7104},
	{"messaging", "MESSAGING", 7105},
}

// Secrets that the operator creates outside Git (docs/operations.md), per
// overlay. tandem-smtp (messaging's SMTP server) is optional: without it,
// messaging sends no e-mail.
var externalSecrets = map[string][]string{
	"dev":  {"tandem-auth", "tandem-auth-signing", "tandem-smtp"},
	"prod": {"tandem-auth", "tandem-auth-signing", "tandem-redis", "tandem-smtp"},
}

// The shutdown steps that SHUTDOWN_TIMEOUT bounds one by one (gRPC graceful
// stop, background work, NATS drain), after the drain period before the
// listener closes.
const (
	shutdownSteps = 3
	drainPeriod   = 5 * time.Second
)

// stack is one overlay's output, decoded strictly into the Kubernetes types.
type stack struct {
	deployments  map[string]*appsv1.Deployment
	statefulSets map[string]*appsv1.StatefulSet
	services     map[string]*corev1.Service
	configMaps   map[string]*corev1.ConfigMap
	secrets      map[string]*corev1.Secret
	pdbs         []*policyv1.PodDisruptionBudget
	hpas         map[string]*autoscalingv2.HorizontalPodAutoscaler
	policies     []*networkingv1.NetworkPolicy
	ingresses    []*networkingv1.Ingress
}

// build runs kustomize (the library kubectl -k uses) on an overlay and
// decodes every object, refusing unknown fields and unknown kinds.
func build(t *testing.T, overlay string) *stack {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), "kubernetes/overlays/"+overlay)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", overlay, err)
	}
	s := &stack{
		deployments: map[string]*appsv1.Deployment{}, statefulSets: map[string]*appsv1.StatefulSet{},
		services: map[string]*corev1.Service{}, configMaps: map[string]*corev1.ConfigMap{},
		secrets: map[string]*corev1.Secret{}, hpas: map[string]*autoscalingv2.HorizontalPodAutoscaler{},
	}
	for _, r := range m.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		kind, name := r.GetKind(), r.GetName()
		var obj any
		switch kind {
		case "Deployment":
			o := &appsv1.Deployment{}
			s.deployments[name], obj = o, o
		case "StatefulSet":
			o := &appsv1.StatefulSet{}
			s.statefulSets[name], obj = o, o
		case "Service":
			o := &corev1.Service{}
			s.services[name], obj = o, o
		case "ConfigMap":
			o := &corev1.ConfigMap{}
			s.configMaps[name], obj = o, o
		case "Secret":
			o := &corev1.Secret{}
			s.secrets[name], obj = o, o
		case "PodDisruptionBudget":
			o := &policyv1.PodDisruptionBudget{}
			s.pdbs, obj = append(s.pdbs, o), o
		case "HorizontalPodAutoscaler":
			o := &autoscalingv2.HorizontalPodAutoscaler{}
			s.hpas[name], obj = o, o
		case "NetworkPolicy":
			o := &networkingv1.NetworkPolicy{}
			s.policies, obj = append(s.policies, o), o
		case "Ingress":
			o := &networkingv1.Ingress{}
			s.ingresses, obj = append(s.ingresses, o), o
		default:
			t.Fatalf("%s: unexpected kind %s %s", overlay, kind, name)
		}
		if err := yaml.UnmarshalStrict(y, obj); err != nil {
			t.Fatalf("%s: %s %s does not decode strictly: %v", overlay, kind, name, err)
		}
	}
	return s
}

// workload is a Deployment or StatefulSet's pod template with its kind and name.
type workload struct {
	id       string
	labels   map[string]string
	template corev1.PodTemplateSpec
}

func (s *stack) workloads() []workload {
	var ws []workload
	for _, n := range slices.Sorted(maps.Keys(s.deployments)) {
		d := s.deployments[n]
		ws = append(ws, workload{"Deployment " + n, d.Spec.Template.Labels, d.Spec.Template})
	}
	for _, n := range slices.Sorted(maps.Keys(s.statefulSets)) {
		d := s.statefulSets[n]
		ws = append(ws, workload{"StatefulSet " + n, d.Spec.Template.Labels, d.Spec.Template})
	}
	return ws
}

func env(c corev1.Container, name string) (corev1.EnvVar, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e, true
		}
	}
	return corev1.EnvVar{}, false
}

func container(t *testing.T, d *appsv1.Deployment) corev1.Container {
	t.Helper()
	if d == nil || len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("want one container in %v", d)
	}
	return d.Spec.Template.Spec.Containers[0]
}

func TestOverlays(t *testing.T) {
	for _, overlay := range []string{"dev", "prod"} {
		t.Run(overlay, func(t *testing.T) {
			s := build(t, overlay)
			checkWorkloads(t, s)
			checkNoDebugPortInServices(t, s)
			checkServices(t, s, overlay)
			checkGateway(t, s, overlay)
			checkNATS(t, s)
			checkRedis(t, s)
			checkSecrets(t, s, overlay)
			checkDisruptionBudgets(t, s)
			checkNetworkPolicies(t, s)
			if overlay == "prod" {
				checkAutoscaling(t, s)
				checkLagAutoscaling(t, s)
			}
		})
	}
}

// Every pod has the three probes, requests and limits, and runs unprivileged
// on a read-only root filesystem.
func checkWorkloads(t *testing.T, s *stack) {
	for _, w := range s.workloads() {
		ps := w.template.Spec
		if sc := ps.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
			t.Errorf("%s: pod securityContext.runAsNonRoot not set", w.id)
		}
		if ps.AutomountServiceAccountToken == nil || *ps.AutomountServiceAccountToken {
			t.Errorf("%s: mounts a service account token it does not use", w.id)
		}
		for _, c := range ps.Containers {
			id := w.id + "/" + c.Name
			if c.StartupProbe == nil || c.ReadinessProbe == nil || c.LivenessProbe == nil {
				t.Errorf("%s: startup, readiness and liveness probes required", id)
			}
			for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				if c.Resources.Requests.Name(r, "").IsZero() || c.Resources.Limits.Name(r, "").IsZero() {
					t.Errorf("%s: %s request and limit required", id, r)
				}
			}
			sc := c.SecurityContext
			switch {
			case sc == nil:
				t.Errorf("%s: no securityContext", id)
			case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
				t.Errorf("%s: allowPrivilegeEscalation must be false", id)
			case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
				t.Errorf("%s: readOnlyRootFilesystem must be true", id)
			case sc.Privileged != nil && *sc.Privileged:
				t.Errorf("%s: privileged", id)
			case sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0:
				t.Errorf("%s: capabilities must drop ALL and add none", id)
			}
			if strings.HasSuffix(c.Image, ":latest") || !strings.Contains(c.Image, ":") {
				t.Errorf("%s: image %q has no pinned tag", id, c.Image)
			}
		}
	}
}

// No Service exposes a port that any container names "debug" (metrics and
// pprof), by name or by number.
func checkNoDebugPortInServices(t *testing.T, s *stack) {
	debug := map[int32]bool{}
	for _, w := range s.workloads() {
		for _, c := range w.template.Spec.Containers {
			for _, p := range c.Ports {
				if p.Name == "debug" {
					debug[p.ContainerPort] = true
				}
			}
		}
	}
	if len(debug) == 0 {
		t.Fatal("no container names a debug port: the check below would prove nothing")
	}
	for name, svc := range s.services {
		for _, p := range svc.Spec.Ports {
			tp := p.TargetPort
			if p.Name == "debug" || debug[p.Port] || (tp.Type == intstr.String && tp.StrVal == "debug") || (tp.Type == intstr.Int && debug[tp.IntVal]) {
				t.Errorf("Service %s exposes debug port %v", name, p)
			}
		}
	}
}

// The domain services: JetStream replicas as many as NATS servers (3), a
// grace period longer than their shutdown, a start-up allowance for loading.
func checkServices(t *testing.T, s *stack, overlay string) {
	nats := s.statefulSets["nats"]
	if nats == nil || nats.Spec.Replicas == nil {
		t.Fatal("no NATS StatefulSet")
	}
	for _, svc := range services {
		d := s.deployments[svc.name]
		if d == nil {
			t.Errorf("no Deployment %s", svc.name)
			continue
		}
		c := container(t, d)
		e, ok := env(c, svc.prefix+"_JS_REPLICAS")
		if !ok || e.Value != fmt.Sprint(*nats.Spec.Replicas) {
			t.Errorf("%s: %s_JS_REPLICAS = %q, want %d (the NATS servers)", svc.name, svc.prefix, e.Value, *nats.Spec.Replicas)
		}
		if overlay == "prod" && e.Value != "3" {
			t.Errorf("%s: streams must be R3 in production, got %q", svc.name, e.Value)
		}
		if e, _ := env(c, svc.prefix+"_NATS_URL"); e.Value != "nats://nats:4222" {
			t.Errorf("%s: NATS_URL %q", svc.name, e.Value)
		}
		checkGrace(t, d, svc.prefix)
		// Matching loads its whole index before it opens its port.
		if svc.name == "matching" {
			p := c.StartupProbe
			if budget := time.Duration(p.PeriodSeconds*p.FailureThreshold) * time.Second; budget < 5*time.Minute {
				t.Errorf("matching: startup allowance %s, want at least 5m for loading the index", budget)
			}
		}
		if c.LivenessProbe.GRPC != nil || c.LivenessProbe.HTTPGet != nil {
			t.Errorf("%s: liveness must not depend on readiness (health turns NOT_SERVING while a dependency is down)", svc.name)
		}
		if c.ReadinessProbe.GRPC == nil || c.ReadinessProbe.GRPC.Port != svc.grpc {
			t.Errorf("%s: readiness must use gRPC health on %d", svc.name, svc.grpc)
		}
		// Headless, for the gateway's round-robin balancing.
		sv := s.services[svc.name]
		if sv == nil || sv.Spec.ClusterIP != corev1.ClusterIPNone {
			t.Errorf("%s: Service missing or not headless", svc.name)
		} else if !selects(sv.Spec.Selector, d.Spec.Template.Labels) {
			t.Errorf("%s: Service does not select its pods", svc.name)
		}
	}
}

func checkGrace(t *testing.T, d *appsv1.Deployment, prefix string) {
	t.Helper()
	e, ok := env(container(t, d), prefix+"_SHUTDOWN_TIMEOUT")
	if !ok {
		t.Errorf("%s: %s_SHUTDOWN_TIMEOUT not set", d.Name, prefix)
		return
	}
	step, err := time.ParseDuration(e.Value)
	if err != nil {
		t.Errorf("%s: %v", d.Name, err)
		return
	}
	need := drainPeriod + shutdownSteps*step
	g := d.Spec.Template.Spec.TerminationGracePeriodSeconds
	if g == nil || time.Duration(*g)*time.Second <= need {
		t.Errorf("%s: terminationGracePeriodSeconds %v, want more than %s", d.Name, g, need)
	}
}

func selects(selector, podLabels map[string]string) bool {
	return len(selector) > 0 && labels.SelectorFromSet(selector).Matches(labels.Set(podLabels))
}

func checkGateway(t *testing.T, s *stack, overlay string) {
	d := s.deployments["gateway"]
	if d == nil {
		t.Fatal("no gateway Deployment")
	}
	c := container(t, d)
	checkGrace(t, d, "GATEWAY")
	for _, svc := range services {
		e, _ := env(c, "GATEWAY_"+strings.ToUpper(svc.name))
		want := fmt.Sprintf("dns:///%s:%d", svc.name, svc.grpc)
		if e.Value != want {
			t.Errorf("gateway: GATEWAY_%s = %q, want %q (every replica through DNS)", strings.ToUpper(svc.name), e.Value, want)
		}
	}
	if e, _ := env(c, "GATEWAY_TRUST_PROXY"); e.Value != "true" {
		t.Errorf("gateway behind the Ingress needs TRUST_PROXY, got %q", e.Value)
	}
	secure, _ := env(c, "GATEWAY_SECURE_COOKIES")
	if overlay == "prod" && secure.Value != "true" {
		t.Errorf("prod gateway needs SECURE_COOKIES, got %q", secure.Value)
	}
	if e, ok := env(c, "GATEWAY_DEV_LOGIN"); ok && e.Value != "false" {
		t.Errorf("gateway: DEV_LOGIN must not be set outside tandem dev")
	}
	if c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Error("gateway: readiness must be /readyz")
	}
	if c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Error("gateway: liveness must be /healthz")
	}
	if len(s.ingresses) != 1 {
		t.Fatalf("want one Ingress, got %d", len(s.ingresses))
	}
	ing := s.ingresses[0]
	if overlay == "prod" && len(ing.Spec.TLS) == 0 {
		t.Error("prod Ingress without TLS")
	}
	for _, r := range ing.Spec.Rules {
		for _, p := range r.HTTP.Paths {
			b := p.Backend.Service
			sv := s.services[b.Name]
			if b.Name != "gateway" || sv == nil || !slices.ContainsFunc(sv.Spec.Ports, func(sp corev1.ServicePort) bool { return sp.Name == b.Port.Name }) {
				t.Errorf("Ingress path %s goes to %v, want the gateway Service's http port", p.Path, b)
			}
		}
	}
}

// Three NATS servers with JetStream on persistent volumes, routed to each other.
func checkNATS(t *testing.T, s *stack) {
	n := s.statefulSets["nats"]
	if *n.Spec.Replicas != 3 {
		t.Errorf("NATS replicas %d, want 3", *n.Spec.Replicas)
	}
	if len(n.Spec.VolumeClaimTemplates) != 1 || n.Spec.VolumeClaimTemplates[0].Name != "data" {
		t.Error("NATS has no persistent volume for JetStream")
	}
	conf := s.configMaps["nats-config"].Data["nats.conf"]
	for i := range 3 {
		route := fmt.Sprintf("nats://nats-%d.%s:6222", i, n.Spec.ServiceName)
		if !strings.Contains(conf, route) {
			t.Errorf("nats.conf lacks route %s", route)
		}
	}
	if !strings.Contains(conf, "jetstream") || !strings.Contains(conf, "store_dir: /data") {
		t.Error("nats.conf does not keep JetStream on the volume")
	}
	if hs := s.services[n.Spec.ServiceName]; hs == nil || hs.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Error("NATS StatefulSet's serviceName is not a headless Service")
	}
}

// Redis with replicas and Sentinels; the URL the services get names the
// Sentinels' primary.
func checkRedis(t *testing.T, s *stack) {
	r := s.statefulSets["redis"]
	if r == nil || *r.Spec.Replicas < 2 {
		t.Fatal("Redis needs a primary and at least one replica")
	}
	names := []string{}
	for _, c := range r.Spec.Template.Spec.Containers {
		names = append(names, c.Name)
	}
	if !slices.Contains(names, "sentinel") {
		t.Error("Redis pods run no Sentinel")
	}
	if sec := s.secrets["tandem-redis"]; sec != nil {
		url := sec.StringData["url"]
		if url == "" {
			url = string(sec.Data["url"])
		}
		if !strings.Contains(url, "master_name=tandem") || !strings.Contains(url, "redis-sentinel:26379") {
			t.Errorf("Redis URL %q does not go through the Sentinels", url)
		}
	}
}

// Every Secret a pod reads is generated by the overlay or documented as one
// the operator creates.
func checkSecrets(t *testing.T, s *stack, overlay string) {
	for _, w := range s.workloads() {
		for _, c := range w.template.Spec.Containers {
			for _, e := range c.Env {
				if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
					if strings.HasSuffix(e.Name, "_AUTH_PUBLIC_KEYS") || strings.HasSuffix(e.Name, "_AUTH_SIGNING_KEY") || strings.HasSuffix(e.Name, "_REDIS_URL") {
						t.Errorf("%s: %s must come from a Secret", w.id, e.Name)
					}
					continue
				}
				name := e.ValueFrom.SecretKeyRef.Name
				if s.secrets[name] == nil && !slices.Contains(externalSecrets[overlay], name) {
					t.Errorf("%s: %s reads Secret %s, which is neither generated nor documented", w.id, e.Name, name)
				}
				if name == "tandem-smtp" && (e.ValueFrom.SecretKeyRef.Optional == nil || !*e.ValueFrom.SecretKeyRef.Optional) {
					t.Errorf("%s: %s reads Secret tandem-smtp without optional: true; without it the pod would not start", w.id, e.Name)
				}
				// The token signing key is the gateway's alone: the other
				// services only verify.
				if name == "tandem-auth-signing" && !strings.HasPrefix(e.Name, "GATEWAY_") {
					t.Errorf("%s: %s reads the token signing key", w.id, e.Name)
				}
			}
		}
	}
}

// Every workload is covered by exactly one PodDisruptionBudget.
func checkDisruptionBudgets(t *testing.T, s *stack) {
	for _, w := range s.workloads() {
		n := 0
		for _, p := range s.pdbs {
			if selects(p.Spec.Selector.MatchLabels, w.labels) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: %d PodDisruptionBudgets select it, want 1", w.id, n)
		}
	}
}

// Every Deployment scales on CPU in production.
func checkAutoscaling(t *testing.T, s *stack) {
	for name := range s.deployments {
		h := s.hpas[name]
		if h == nil || h.Spec.ScaleTargetRef.Name != name || h.Spec.ScaleTargetRef.Kind != "Deployment" {
			t.Errorf("Deployment %s has no HorizontalPodAutoscaler", name)
			continue
		}
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 2 {
			t.Errorf("%s: HPA minReplicas below 2", name)
		}
		if len(h.Spec.Metrics) == 0 || h.Spec.Metrics[0].Resource == nil || h.Spec.Metrics[0].Resource.Name != corev1.ResourceCPU {
			t.Errorf("%s: HPA does not scale on CPU", name)
		}
	}
}

// Ingress is denied by default; the domain services admit only the gateway,
// NATS and Redis only the services (and their own peers); Prometheus may
// scrape debug and monitoring ports only.
func checkNetworkPolicies(t *testing.T, s *stack) {
	denyAll := false
	for _, p := range s.policies {
		if len(p.Spec.PodSelector.MatchLabels) == 0 && len(p.Spec.PodSelector.MatchExpressions) == 0 && len(p.Spec.Ingress) == 0 && slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
			denyAll = true
		}
	}
	if !denyAll {
		t.Fatal("no default-deny ingress NetworkPolicy")
	}
	isMonitoring := func(peer networkingv1.NetworkPolicyPeer) bool {
		return peer.PodSelector == nil && peer.NamespaceSelector != nil && peer.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] == "monitoring"
	}
	onlyPorts := func(r networkingv1.NetworkPolicyIngressRule, names ...string) bool {
		return len(r.Ports) > 0 && !slices.ContainsFunc(r.Ports, func(p networkingv1.NetworkPolicyPort) bool {
			return p.Port == nil || !slices.Contains(names, p.Port.StrVal)
		})
	}
	// check fails when a rule admitting traffic to pods with these labels
	// comes from a peer that is not permitted, or when none admits any.
	check := func(id string, podLabels map[string]string, peerOK func(networkingv1.NetworkPolicyPeer) bool) {
		admitted := false
		for _, p := range s.policies {
			sel, err := metav1.LabelSelectorAsSelector(&p.Spec.PodSelector)
			if err != nil {
				t.Fatal(err)
			}
			if !sel.Matches(labels.Set(podLabels)) {
				continue
			}
			for _, r := range p.Spec.Ingress {
				if len(r.From) == 0 {
					t.Errorf("%s: policy %s admits every peer", id, p.Name)
				}
				for _, peer := range r.From {
					switch {
					case isMonitoring(peer):
						if !onlyPorts(r, "debug", "metrics") {
							t.Errorf("%s: policy %s lets monitoring reach more than debug ports", id, p.Name)
						}
					case !peerOK(peer):
						t.Errorf("%s: policy %s admits %v", id, p.Name, peer)
					default:
						admitted = true
					}
				}
			}
		}
		if !admitted {
			t.Errorf("%s: nothing may reach it", id)
		}
	}
	// A pod peer passes when its selector picks some workload's pods and
	// only pods of the allowed workloads (so a broad selector fails).
	all := s.workloads()
	podPeer := func(allowed ...string) func(networkingv1.NetworkPolicyPeer) bool {
		return func(peer networkingv1.NetworkPolicyPeer) bool {
			if peer.NamespaceSelector != nil || peer.IPBlock != nil || peer.PodSelector == nil {
				return false
			}
			sel, err := metav1.LabelSelectorAsSelector(peer.PodSelector)
			if err != nil || sel.Empty() {
				return false
			}
			n := 0
			for _, w := range all {
				if sel.Matches(labels.Set(w.labels)) {
					if !slices.Contains(allowed, w.id) {
						return false
					}
					n++
				}
			}
			return n > 0
		}
	}
	clients := []string{"Deployment gateway"}
	for _, svc := range services {
		clients = append(clients, "Deployment "+svc.name)
		check("service "+svc.name, s.deployments[svc.name].Spec.Template.Labels, podPeer("Deployment gateway"))
	}
	check("nats", s.statefulSets["nats"].Spec.Template.Labels, podPeer(append(clients, "StatefulSet nats")...))
	check("redis", s.statefulSets["redis"].Spec.Template.Labels, podPeer(append(clients, "StatefulSet redis")...))
}

// The services whose shared durable consumers spread a backlog over their
// replicas, and so scale on lag in production.
var scaleOnLag = []string{"competencies", "meetings", "messaging"}

// adapterValues is what the tests read of the prometheus-adapter values.
type adapterValues struct {
	Rules struct {
		Custom []struct {
			SeriesQuery string `json:"seriesQuery"`
			Resources   struct {
				Overrides map[string]struct {
					Resource string `json:"resource"`
				} `json:"overrides"`
			} `json:"resources"`
			Name struct {
				As string `json:"as"`
			} `json:"name"`
			MetricsQuery string `json:"metricsQuery"`
		} `json:"custom"`
	} `json:"rules"`
}

// Every custom metric an HPA names is served by a prometheus-adapter rule
// per pod, from a series the services export; the services named in
// scaleOnLag scale on it.
func checkLagAutoscaling(t *testing.T, s *stack) {
	b, err := os.ReadFile("kubernetes/monitoring/prometheus-adapter.values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var v adapterValues
	if err := yaml.Unmarshal(b, &v); err != nil { // the chart's other values are not read
		t.Fatalf("prometheus-adapter values: %v", err)
	}
	exported := exportedMetrics(t)
	served := map[string]bool{}
	for _, r := range v.Rules.Custom {
		series := strings.TrimSpace(strings.SplitN(r.SeriesQuery, "{", 2)[0])
		if !exported[series] {
			t.Errorf("adapter rule %q reads %q, which no service exports", r.Name.As, series)
		}
		if r.Resources.Overrides["namespace"].Resource != "namespace" || r.Resources.Overrides["pod"].Resource != "pod" {
			t.Errorf("adapter rule %q is not per pod", r.Name.As)
		}
		if !strings.Contains(r.MetricsQuery, "<<.GroupBy>>") || !strings.Contains(r.MetricsQuery, "<<.LabelMatchers>>") {
			t.Errorf("adapter rule %q: query %q ignores the pods asked for", r.Name.As, r.MetricsQuery)
		}
		served[r.Name.As] = true
	}
	for name, h := range s.hpas {
		lag := false
		for _, m := range h.Spec.Metrics {
			switch {
			case m.Type == autoscalingv2.PodsMetricSourceType && m.Pods != nil:
				if !served[m.Pods.Metric.Name] {
					t.Errorf("%s: HPA scales on %q, which the prometheus-adapter values do not serve", name, m.Pods.Metric.Name)
				}
				if m.Pods.Target.AverageValue == nil || m.Pods.Target.AverageValue.Sign() <= 0 {
					t.Errorf("%s: HPA on %q has no average value target", name, m.Pods.Metric.Name)
				}
				lag = lag || m.Pods.Metric.Name == "tandem_consumer_lag_messages"
			case m.Type != autoscalingv2.ResourceMetricSourceType:
				t.Errorf("%s: HPA metric of type %s: only CPU and per-pod custom metrics are set up", name, m.Type)
			}
		}
		if want := slices.Contains(scaleOnLag, name); lag != want {
			t.Errorf("%s: HPA scales on consumer lag: %v, want %v", name, lag, want)
		}
	}
}

// exportedMetrics are the names of the metrics the services' event
// consumers register.
func exportedMetrics(t *testing.T) map[string]bool {
	out := map[string]bool{}
	ch := make(chan *prometheus.Desc, 64)
	go func() {
		for _, c := range natsx.Collectors() {
			c.Describe(ch)
		}
		close(ch)
	}()
	name := regexp.MustCompile(`fqName: "([^"]+)"`)
	for d := range ch {
		if m := name.FindStringSubmatch(d.String()); m != nil {
			out[m[1]] = true
		}
	}
	if len(out) == 0 {
		t.Fatal("no metric names read from natsx.Collectors()")
	}
	return out
}
