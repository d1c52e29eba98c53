package deploy_test

import (
	"net"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/outreach-dev/outreach/outreach/config"
)

// composeFile is the part of a Compose file the test reads.
type composeFile struct {
	Services map[string]struct {
		Image string `yaml:"image"`
		Build struct {
			Context    string `yaml:"context"`
			Dockerfile string `yaml:"dockerfile"`
		} `yaml:"build"`
		Environment map[string]string `yaml:"environment"`
		Ports       []string          `yaml:"ports"`
		Volumes     []string          `yaml:"volumes"`
	} `yaml:"services"`
}

func readYAML(t *testing.T, file string, v any) {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// containerPorts are the container sides of a service's published ports.
func containerPorts(ports []string) []string {
	var out []string
	for _, p := range ports {
		parts := strings.Split(p, ":")
		out = append(out, parts[len(parts)-1])
	}
	return out
}

// mounts maps each bind mount's container path to its host path, as a
// path relative to deploy/.
func mounts(volumes []string) map[string]string {
	out := map[string]string{}
	for _, v := range volumes {
		parts := strings.Split(v, ":")
		if len(parts) < 2 || !strings.HasPrefix(parts[0], ".") {
			continue // a named volume
		}
		out[parts[1]] = filepath.Clean(parts[0])
	}
	return out
}

// TestCompose: deploy/docker-compose.yml runs the whole stack: every
// service is there with the ports docs/operations.md names; outreach is built
// from the Dockerfile with a configuration it accepts, naming only
// variables it reads, whose URLs point at the stack's services; every
// file mounted exists; Prometheus scrapes outreach and loads the alerts;
// Grafana gets the data source and the dashboard.
func TestCompose(t *testing.T) {
	t.Parallel()
	var c composeFile
	readYAML(t, "docker-compose.yml", &c)

	wantPorts := map[string][]string{
		"outreach": {"8080"}, "redis": {"6379"}, "postgres": {"5432"},
		"mailpit": {"1025", "8025"}, "prometheus": {"9090"}, "grafana": {"3000"},
	}
	for name, ports := range wantPorts {
		s, ok := c.Services[name]
		if !ok {
			t.Errorf("no service %s", name)
			continue
		}
		if got := containerPorts(s.Ports); !slices.Equal(got, ports) {
			t.Errorf("%s publishes %v, want %v", name, got, ports)
		}
		for target, host := range mounts(s.Volumes) {
			if _, err := os.Stat(host); err != nil {
				t.Errorf("%s mounts %s at %s: %v", name, host, target, err)
			}
		}
	}

	o := c.Services["outreach"]
	if _, err := os.Stat(filepath.Join(o.Build.Context, o.Build.Dockerfile)); err != nil || o.Build.Dockerfile == "" {
		t.Errorf("outreach is not built from the repository's Dockerfile (build %+v): %v", o.Build, err)
	}
	known := map[string]bool{}
	for _, v := range config.Vars {
		known[v.Name] = true
	}
	for name := range o.Environment {
		if !known[name] {
			t.Errorf("outreach's environment sets %s, which outreach does not read", name)
		}
	}
	cfg, err := config.Load(func(k string) string { return o.Environment[k] })
	if err != nil {
		t.Fatalf("outreach would refuse its configuration: %v", err)
	}
	if _, port, _ := net.SplitHostPort(cfg.HTTPAddr); port != "8080" {
		t.Errorf("OUTREACH_HTTP_ADDR %q, want port 8080 as published", cfg.HTTPAddr)
	}
	for name, want := range map[string]string{
		"OUTREACH_REDIS_URL":    "redis:6379",
		"OUTREACH_DATABASE_URL": "postgres:5432",
		"OUTREACH_SMTP_URL":     "mailpit:1025",
	} {
		u, err := url.Parse(o.Environment[name])
		if err != nil || u.Host != want {
			t.Errorf("%s = %q, want it to reach %s", name, o.Environment[name], want)
		}
	}
	pg := c.Services["postgres"].Environment
	if want := "postgres://" + pg["POSTGRES_USER"] + ":" + pg["POSTGRES_PASSWORD"] + "@postgres:5432/" + pg["POSTGRES_DB"]; !strings.HasPrefix(o.Environment["OUTREACH_DATABASE_URL"], want) {
		t.Errorf("OUTREACH_DATABASE_URL does not use the postgres service's user and database (%s)", want)
	}

	t.Run("prometheus", func(t *testing.T) {
		m := mounts(c.Services["prometheus"].Volumes)
		configIn := "/etc/prometheus/prometheus.yml"
		if m[configIn] != filepath.Clean("prometheus/prometheus.yml") {
			t.Fatalf("prometheus does not mount prometheus/prometheus.yml at %s: %v", configIn, m)
		}
		var p struct {
			RuleFiles     []string `yaml:"rule_files"`
			ScrapeConfigs []struct {
				JobName       string `yaml:"job_name"`
				StaticConfigs []struct {
					Targets []string `yaml:"targets"`
				} `yaml:"static_configs"`
			} `yaml:"scrape_configs"`
		}
		readYAML(t, m[configIn], &p)
		for _, rf := range p.RuleFiles {
			in := path.Join(path.Dir(configIn), rf)
			if host, ok := m[in]; !ok || host != filepath.Clean("prometheus/alerts.yml") {
				t.Errorf("rule file %s is %s in the container, where prometheus/alerts.yml is not mounted (%v)", rf, in, m)
			}
		}
		scraped := false
		for _, sc := range p.ScrapeConfigs {
			for _, st := range sc.StaticConfigs {
				scraped = scraped || sc.JobName == "outreach" && slices.Contains(st.Targets, "outreach:8080")
			}
		}
		if !scraped || len(p.RuleFiles) == 0 {
			t.Errorf("prometheus.yml must scrape outreach:8080 as job outreach (the alerts expect it) and load the alerts: %+v", p)
		}
		promtool, err := exec.LookPath("promtool")
		if err != nil {
			t.Skip("promtool is not on PATH; .ci/run installs it")
		}
		if out, err := exec.Command(promtool, "check", "config", "prometheus/prometheus.yml").CombinedOutput(); err != nil {
			t.Errorf("promtool check config: %v\n%s", err, out)
		}
	})

	t.Run("grafana", func(t *testing.T) {
		m := mounts(c.Services["grafana"].Volumes)
		if m["/etc/grafana/provisioning"] != filepath.Clean("grafana/provisioning") {
			t.Fatalf("grafana does not mount grafana/provisioning: %v", m)
		}
		var ds struct {
			Datasources []struct{ Type, URL string } `yaml:"datasources"`
		}
		readYAML(t, "grafana/provisioning/datasources/prometheus.yml", &ds)
		if len(ds.Datasources) != 1 || ds.Datasources[0].Type != "prometheus" || ds.Datasources[0].URL != "http://prometheus:9090" {
			t.Errorf("data sources %+v, want the prometheus service", ds.Datasources)
		}
		var dp struct {
			Providers []struct {
				Options struct{ Path string } `yaml:"options"`
			} `yaml:"providers"`
		}
		readYAML(t, "grafana/provisioning/dashboards/outreach.yml", &dp)
		if len(dp.Providers) != 1 {
			t.Fatalf("dashboard providers %+v, want one", dp.Providers)
		}
		dir := dp.Providers[0].Options.Path
		if m[path.Join(dir, "outreach.json")] != filepath.Clean("grafana/outreach.json") {
			t.Errorf("the dashboard provider reads %s, where grafana/outreach.json is not mounted (%v)", dir, m)
		}
	})

	t.Run("docker compose config", func(t *testing.T) {
		if exec.Command("docker", "compose", "version").Run() != nil {
			t.Skip("docker compose is not available here")
		}
		if out, err := exec.Command("docker", "compose", "-f", "docker-compose.yml", "config", "-q").CombinedOutput(); err != nil {
			t.Errorf("docker compose config: %v\n%s", err, out)
		}
	})
}
