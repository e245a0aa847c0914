{{/*
Chart name, truncated to 63 characters (the DNS label limit).
*/}}
{{- define "backend.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's objects: the release name alone when it already contains the chart
name, so a release called "backend" gets the Service "backend" the frontend expects.
*/}}
{{- define "backend.fullname" -}}
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

{{- define "backend.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every object.
*/}}
{{- define "backend.labels" -}}
helm.sh/chart: {{ include "backend.chart" . }}
app.kubernetes.io/name: {{ include "backend.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: todo-chatbot
{{- end }}

{{/*
Selector of the API pods; the component keeps the PostgreSQL pods out of the API's Service.
*/}}
{{- define "backend.selectorLabels" -}}
app.kubernetes.io/name: {{ include "backend.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: api
{{- end }}

{{- define "backend.postgresql.selectorLabels" -}}
app.kubernetes.io/name: {{ include "backend.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: database
{{- end }}

{{- define "backend.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "backend.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "backend.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString) }}
{{- end }}

{{/*
Name of the Secret with the app's keys: created from values, or an existing one; with neither the
install stops and says what to set.
*/}}
{{- define "backend.secretName" -}}
{{- if .Values.secrets.create }}
{{- printf "%s-secrets" (include "backend.fullname" .) }}
{{- else }}
{{- required "backend: set secrets.existingSecret to a Secret with the keys database-url, auth-secret (and optionally openai-api-key, auth-url), or set secrets.create=true with secrets.authSecret and secrets.databaseUrl (or postgresql.enabled=true)" .Values.secrets.existingSecret }}
{{- end }}
{{- end }}

{{- define "backend.postgresql.fullname" -}}
{{- printf "%s-postgresql" (include "backend.fullname" . | trunc 52 | trimSuffix "-") }}
{{- end }}

{{- define "backend.postgresql.secretName" -}}
{{- default (include "backend.postgresql.fullname" .) .Values.postgresql.auth.existingSecret }}
{{- end }}

{{/*
Host patterns the MCP server accepts in the Host header: every in-cluster name of the Service,
with and without a port, plus the configured extras.
*/}}
{{- define "backend.mcpAllowedHosts" -}}
{{- $service := include "backend.fullname" . }}
{{- $hosts := list }}
{{- range $name := list $service (printf "%s.%s" $service .Release.Namespace) (printf "%s.%s.svc" $service .Release.Namespace) (printf "%s.%s.svc.%s" $service .Release.Namespace .Values.config.clusterDomain) }}
{{- $hosts = append $hosts $name }}
{{- $hosts = append $hosts (printf "%s:*" $name) }}
{{- end }}
{{- concat $hosts .Values.config.extraMcpAllowedHosts | join "," }}
{{- end }}

{{/*
Environment of every container that runs the backend image (API pods and the migration Job).
*/}}
{{- define "backend.env" -}}
{{- $secret := include "backend.secretName" . -}}
- name: PORT
  value: {{ .Values.containerPort | quote }}
- name: LOG_LEVEL
  value: {{ .Values.config.logLevel | quote }}
- name: IMAGE_BUILD
  value: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
- name: AGENT_PROVIDER
  value: {{ .Values.config.agentProvider | quote }}
- name: OPENAI_MODEL
  value: {{ .Values.config.openaiModel | quote }}
{{- with .Values.config.openaiBaseUrl }}
- name: OPENAI_BASE_URL
  value: {{ . | quote }}
{{- end }}
- name: MCP_ALLOWED_HOSTS
  value: {{ include "backend.mcpAllowedHosts" . | quote }}
- name: MIGRATE_ON_START
  value: {{ .Values.migrations.onStart | quote }}
- name: METRICS_PORT
  value: {{ .Values.metrics.port | quote }}
- name: DOCS_ENABLED
  value: {{ .Values.config.docsEnabled | quote }}
- name: TRUSTED_PROXIES
  value: {{ .Values.config.trustedProxies | quote }}
- name: RATE_LIMITS
  value: {{ .Values.config.rateLimits | quote }}
{{- with .Values.config.limits }}
- name: PASSWORD_HASH_CONCURRENCY
  value: {{ .passwordHashConcurrency | quote }}
- name: SIGN_UP_PER_ADDRESS_PER_HOUR
  value: {{ .signUpPerAddressPerHour | quote }}
- name: SIGN_IN_PER_ADDRESS_PER_MINUTE
  value: {{ .signInPerAddressPerMinute | quote }}
- name: AUTH_REQUESTS_PER_MINUTE
  value: {{ .authRequestsPerMinute | quote }}
- name: SIGN_IN_MAX_FAILURES
  value: {{ .signInMaxFailures | quote }}
- name: SIGN_IN_MAX_FAILURES_PER_ACCOUNT
  value: {{ .signInMaxFailuresPerAccount | quote }}
- name: SIGN_IN_FAILURE_WINDOW_SECONDS
  value: {{ .signInFailureWindowSeconds | quote }}
- name: CHAT_TURNS_PER_MINUTE
  value: {{ .chatTurnsPerMinute | quote }}
- name: CHAT_TURNS_PER_DAY
  value: {{ .chatTurnsPerDay | quote }}
- name: MCP_REQUESTS_PER_API_TOKEN_PER_MINUTE
  value: {{ .mcpRequestsPerApiTokenPerMinute | quote }}
- name: LLM_MAX_TURNS
  value: {{ .llmMaxTurns | quote }}
{{- end }}
{{- if .Values.postgresql.enabled }}
{{- /* The password stays in its Secret; Kubernetes expands $(POSTGRESQL_PASSWORD) into the URL. */}}
- name: POSTGRESQL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "backend.postgresql.secretName" . }}
      key: {{ .Values.postgresql.auth.secretKey }}
- name: DATABASE_URL
  value: {{ printf "postgresql://%s:$(POSTGRESQL_PASSWORD)@%s:5432/%s" .Values.postgresql.auth.username (include "backend.postgresql.fullname" .) .Values.postgresql.auth.database | quote }}
{{- else }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: database-url
{{- end }}
- name: BETTER_AUTH_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: auth-secret
# Optional: without it, the backend believes no address the frontend names.
- name: PROXY_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: proxy-secret
      optional: true
- name: BETTER_AUTH_URL
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: auth-url
      optional: true
- name: OPENAI_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: openai-api-key
      optional: true
{{- range $name, $value := .Values.env }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end }}

{{/*
Pod-level settings shared by the API pods, the migration Job and the test pod.
*/}}
{{- define "backend.podSecurity" -}}
serviceAccountName: {{ include "backend.serviceAccountName" . }}
automountServiceAccountToken: false
enableServiceLinks: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end }}

{{/*
Checkov skip annotations for the checks that do not fit, each with its reason (checkov reads them
from the object's metadata). Takes the list of check IDs.
*/}}
{{- define "backend.checkovSkips" -}}
{{- $reasons := dict
  "CKV_K8S_21" "The namespace is the release's (helm -n); the plan deploys to default on a one-user Minikube"
  "CKV_K8S_43" "Images are referenced by tag: make deploy tags each app image with its version and image ID, a tag that never moves (Minikube has no registry digest), and postgres:17 is the public tag"
  "CKV_K8S_15" "IfNotPresent is required: on Minikube the image is loaded onto the node and Always would try a registry"
  "CKV_K8S_35" "The app reads its configuration from environment variables only (twelve-factor contract)"
  "CKV_K8S_8" "A run-to-completion pod has no long-lived process to probe for liveness"
  "CKV_K8S_9" "A run-to-completion pod serves no traffic so it has no readiness"
  "CKV_K8S_40" "The official postgres image runs as its postgres user (uid 999) that owns the data files"
}}
{{- range $index, $id := . }}
checkov.io/skip{{ add1 $index }}: {{ printf "%s=%s" $id (get $reasons $id) | quote }}
{{- end }}
{{- end }}
