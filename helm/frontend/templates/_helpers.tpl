{{/*
Chart name, truncated to 63 characters (the DNS label limit).
*/}}
{{- define "frontend.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's objects: the release name alone when it already contains the chart
name, so a release called "frontend" gets the Service "frontend" and the ConfigMap "frontend-config".
*/}}
{{- define "frontend.fullname" -}}
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

{{- define "frontend.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every object.
*/}}
{{- define "frontend.labels" -}}
helm.sh/chart: {{ include "frontend.chart" . }}
app.kubernetes.io/name: {{ include "frontend.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: todo-chatbot
{{- end }}

{{/*
Selector of the web pods; the component keeps the test pod out of the Service.
*/}}
{{- define "frontend.selectorLabels" -}}
app.kubernetes.io/name: {{ include "frontend.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: web
{{- end }}

{{- define "frontend.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "frontend.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "frontend.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString) }}
{{- end }}

{{- define "frontend.configMapName" -}}
{{- printf "%s-config" (include "frontend.fullname" .) }}
{{- end }}

{{/*
Name of the Secret with the session key: created from values, or an existing one; with neither the
install stops and says what to set.
*/}}
{{- define "frontend.secretName" -}}
{{- if .Values.secrets.create }}
{{- printf "%s-secrets" (include "frontend.fullname" .) }}
{{- else }}
{{- required "frontend: set secrets.existingSecret to a Secret with the key auth-secret, or set secrets.create=true with secrets.authSecret" .Values.secrets.existingSecret }}
{{- end }}
{{- end }}

{{/*
Pod-level settings shared by the web pods and the test pod.
*/}}
{{- define "frontend.podSecurity" -}}
serviceAccountName: {{ include "frontend.serviceAccountName" . }}
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
{{- define "frontend.checkovSkips" -}}
{{- $reasons := dict
  "CKV_K8S_21" "The namespace is the release's (helm -n); the plan deploys to default on a one-user Minikube"
  "CKV_K8S_43" "The image is referenced by tag: make deploy tags it with its version and image ID, a tag that never moves (Minikube has no registry digest)"
  "CKV_K8S_15" "IfNotPresent is required: on Minikube the image is loaded onto the node and Always would try a registry"
  "CKV_K8S_35" "The app reads its configuration from environment variables only (twelve-factor contract)"
  "CKV_K8S_8" "A run-to-completion pod has no long-lived process to probe for liveness"
  "CKV_K8S_9" "A run-to-completion pod serves no traffic so it has no readiness"
}}
{{- range $index, $id := . }}
checkov.io/skip{{ add1 $index }}: {{ printf "%s=%s" $id (get $reasons $id) | quote }}
{{- end }}
{{- end }}
