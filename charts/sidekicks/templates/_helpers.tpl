{{/* The chart's name, or nameOverride. */}}
{{- define "sidekicks.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: fullnameOverride, or <release>-<chart> unless the release name already contains the chart's. */}}
{{- define "sidekicks.fullname" -}}
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

{{- define "sidekicks.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "sidekicks.labels" -}}
helm.sh/chart: {{ include "sidekicks.chart" . }}
{{ include "sidekicks.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "sidekicks.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sidekicks.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controlplane
{{- end }}

{{- define "sidekicks.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sidekicks.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "sidekicks.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The Secret the chart makes for connection URLs given as values (database.url, nats.url). */}}
{{- define "sidekicks.connectionsSecret" -}}
{{- printf "%s-connections" (include "sidekicks.fullname" .) }}
{{- end }}

{{/*
Where a connection URL comes from, for "database" or "nats": the Secret's name and key as
{"name": …, "key": …}. Exactly one of <what>.url and <what>.existingSecret must be set.
*/}}
{{- define "sidekicks.connectionRef" -}}
{{- $root := index . 0 }}
{{- $what := index . 1 }}
{{- $v := index $root.Values $what }}
{{- if and $v.url $v.existingSecret }}
{{- fail (printf "%s.url and %s.existingSecret are both set: give one" $what $what) }}
{{- else if $v.existingSecret }}
{{- dict "name" $v.existingSecret "key" $v.existingSecretKey | toJson }}
{{- else if $v.url }}
{{- dict "name" (include "sidekicks.connectionsSecret" $root) "key" (printf "%s-url" $what) | toJson }}
{{- else }}
{{- fail (printf "%s.url or %s.existingSecret is required (the control plane's %s)" $what $what (eq $what "database" | ternary "Postgres" "NATS with JetStream")) }}
{{- end }}
{{- end }}

{{/* The chart-made Secret holding the listener's certificate, or tls.existingSecret. */}}
{{- define "sidekicks.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "sidekicks.fullname" .)) .Values.tls.existingSecret }}
{{- end }}

{{- define "sidekicks.signingKeySecretName" -}}
{{- default (printf "%s-signing-key" (include "sidekicks.fullname" .)) .Values.signingKey.existingSecret }}
{{- end }}

{{/* The key in the signing-key Secret: the chart's own Secret always uses signing-key.pem. */}}
{{- define "sidekicks.signingKeySecretKey" -}}
{{- if .Values.signingKey.existingSecret }}{{ .Values.signingKey.existingSecretKey }}{{- else }}signing-key.pem{{- end }}
{{- end }}

{{/* The Service's DNS names: the generated certificate's SANs. */}}
{{- define "sidekicks.dnsNames" -}}
{{- $name := include "sidekicks.fullname" . }}
{{- $ns := .Release.Namespace }}
{{- $names := list $name (printf "%s.%s" $name $ns) (printf "%s.%s.svc" $name $ns) (printf "%s.%s.svc.cluster.local" $name $ns) }}
{{- concat $names .Values.tls.extraDnsNames | toJson }}
{{- end }}

{{/* Where the pod reads its files; the e2e test maps this prefix to a temp dir. */}}
{{- define "sidekicks.tlsDir" -}}/etc/sidekick/tls{{- end }}
{{- define "sidekicks.signingKeyDir" -}}/etc/sidekick/signing-key{{- end }}

{{/* The environment both containers get: the pod's name and the connection URLs from their Secrets. */}}
{{- define "sidekicks.env" -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: SIDEKICK_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .database.name }}
      key: {{ .database.key }}
- name: SIDEKICK_NATS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .nats.name }}
      key: {{ .nats.key }}
{{- end }}

{{/* The restricted Pod Security Standard, container side. */}}
{{- define "sidekicks.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end }}
