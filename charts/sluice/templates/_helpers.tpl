{{/* Names and labels. */}}
{{- define "sluice.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "sluice.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "sluice.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sluice.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "sluice.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "sluice.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "sluice.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sluice.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "sluice.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{- define "sluice.leaseNamespace" -}}
{{- default .Release.Namespace .Values.leaderElection.namespace }}
{{- end }}

{{/* The lowest container port (service.extraPorts too), for NET_BIND_SERVICE and ip_unprivileged_port_start. */}}
{{- define "sluice.lowestPort" -}}
{{- $p := .Values.ports }}
{{- $lowest := min (int $p.http) (int $p.https) (int $p.admin) }}
{{- range .Values.service.extraPorts }}
{{- $lowest = min $lowest (int (.targetPort | default .port)) }}
{{- end }}
{{- $lowest }}
{{- end }}

{{/*
Checks the schema cannot express (it sees one value at a time). Each message names the values.
*/}}
{{- define "sluice.validate" -}}
{{- $p := .Values.ports }}
{{- if or (eq (int $p.http) (int $p.https)) (eq (int $p.http) (int $p.admin)) (eq (int $p.https) (int $p.admin)) }}
{{- fail (printf "ports.http (%d), ports.https (%d) and ports.admin (%d) must differ" (int $p.http) (int $p.https) (int $p.admin)) }}
{{- end }}
{{- if eq (int .Values.service.ports.http) (int .Values.service.ports.https) }}
{{- fail (printf "service.ports.http and service.ports.https must differ (both %d)" (int .Values.service.ports.http)) }}
{{- end }}
{{- include "sluice.validateExtraPorts" . }}
{{- if and .Values.config.proxyProtocol (not .Values.config.trustedProxies) }}
{{- fail "config.proxyProtocol needs config.trustedProxies (PROXY headers are accepted from trusted sources only)" }}
{{- end }}
{{- $pdb := .Values.podDisruptionBudget }}
{{- if and $pdb.enabled (eq (kindIs "invalid" $pdb.minAvailable) (kindIs "invalid" $pdb.maxUnavailable)) }}
{{- fail "podDisruptionBudget: set exactly one of minAvailable and maxUnavailable (the other null)" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail (printf "autoscaling.minReplicas (%d) must not exceed autoscaling.maxReplicas (%d)" (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- end }}
{{- end }}

{{/*
service.extraPorts, which the schema checks one entry at a time: names, Service ports and pod
ports each unique, none taken by the chart's own ports, and no pod port 80 or 443 (Gateway
listener ports Sluice serves on ports.http and ports.https).
*/}}
{{- define "sluice.validateExtraPorts" -}}
{{- $p := .Values.ports }}
{{- $svc := .Values.service }}
{{- $names := dict "http" "the chart's HTTP port" "https" "the chart's HTTPS port" "admin" "the chart's admin port" }}
{{- $servicePorts := dict (toString (int $svc.ports.http)) "service.ports.http" (toString (int $svc.ports.https)) "service.ports.https" }}
{{- $podPorts := dict (toString (int $p.http)) "ports.http" (toString (int $p.https)) "ports.https" (toString (int $p.admin)) "ports.admin" }}
{{- $mapped := dict "80" (printf "ports.http (%d)" (int $p.http)) "443" (printf "ports.https (%d)" (int $p.https)) }}
{{- range $i, $x := $svc.extraPorts }}
{{- $where := printf "service.extraPorts[%d]" $i }}
{{- with index $names $x.name }}
{{- fail (printf "%s.name %q is already the name of %s: port names must be unique" $where $x.name .) }}
{{- end }}
{{- $_ := set $names $x.name $where }}
{{- $port := toString (int $x.port) }}
{{- with index $servicePorts $port }}
{{- fail (printf "%s.port %s is already %s: the Service takes each port once" $where $port .) }}
{{- end }}
{{- $_ := set $servicePorts $port (printf "%s.port" $where) }}
{{- $target := toString (int ($x.targetPort | default $x.port)) }}
{{- with index $mapped $target }}
{{- fail (printf "%s targets pod port %s: Sluice serves Gateway listener port %s on %s, which service.ports already exposes" $where $target $target .) }}
{{- end }}
{{- with index $podPorts $target }}
{{- fail (printf "%s targets pod port %s, already taken by %s: Sluice listens on a Gateway listener's own port in the pod, so the two must differ" $where $target .) }}
{{- end }}
{{- $_ := set $podPorts $target $where }}
{{- end }}
{{- end }}

{{/* One Sluice flag as "--name=value"; empty for "" or an empty list (Sluice's default applies). */}}
{{- define "sluice.flag" -}}
{{- $name := index . 0 }}
{{- $value := index . 1 }}
{{- if kindIs "slice" $value }}
{{- if $value }}--{{ $name }}={{ join "," $value }}{{ end }}
{{- else if kindIs "float64" $value }}--{{ $name }}={{ int64 $value }}
{{- else if kindIs "int64" $value }}--{{ $name }}={{ $value }}
{{- else if kindIs "bool" $value }}--{{ $name }}={{ $value }}
{{- else if ne (toString $value) "" }}--{{ $name }}={{ $value }}
{{- end }}
{{- end }}

{{/*
Sluice's command line as a YAML list: the flags the chart derives from its own values (ports,
class, publish, leader election, drain), then one per key of .Values.config (camelCase of the
flag name; "" and [] leave Sluice's default).
*/}}
{{- define "sluice.flags" -}}
{{- $v := .Values }}
{{- $pairs := list
  (list "provider" "kubernetes")
  (list "http-port" $v.ports.http)
  (list "https-port" $v.ports.https)
  (list "admin-port" $v.ports.admin)
  (list "ingress-class" $v.ingressClass.name) }}
{{- if $v.publish.addresses }}
{{- $pairs = append $pairs (list "publish-address" $v.publish.addresses) }}
{{- else if $v.publish.service }}
{{- $pairs = append $pairs (list "publish-service" (printf "%s/%s" .Release.Namespace (include "sluice.fullname" .))) }}
{{- end }}
{{- $pairs = append $pairs (list "leader-elect" $v.leaderElection.enabled) }}
{{- if $v.leaderElection.enabled }}
{{- $pairs = concat $pairs (list
  (list "lease-name" $v.leaderElection.leaseName)
  (list "lease-namespace" (include "sluice.leaseNamespace" .))
  (list "lease-duration" $v.leaderElection.leaseDuration)
  (list "lease-renew-deadline" $v.leaderElection.renewDeadline)
  (list "lease-retry-period" $v.leaderElection.retryPeriod)) }}
{{- end }}
{{- $pairs = append $pairs (list "drain-timeout" (printf "%ds" (int $v.shutdown.drainTimeoutSeconds))) }}
{{- range $key, $value := $v.config }}
{{- $pairs = append $pairs (list (kebabcase $key) $value) }}
{{- end }}
{{- range $pairs }}
{{- with include "sluice.flag" . }}
- {{ . | quote }}
{{- end }}
{{- end }}
{{- end }}
