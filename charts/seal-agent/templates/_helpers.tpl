{{/*
The name of every object of the release: "<release>-seal-agent", or the
release name alone when it already says seal-agent, so
`helm install seal-agent` names things exactly as manifests/ does.
*/}}
{{- define "seal-agent.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains "seal-agent" .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-seal-agent" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "seal-agent.selectorLabels" -}}
app.kubernetes.io/name: seal-agent
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "seal-agent.labels" -}}
{{ include "seal-agent.selectorLabels" . }}
app.kubernetes.io/part-of: seal
app.kubernetes.io/version: {{ include "seal-agent.tag" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/*
The leader election Lease of the release's shard (seal-agent's
leaderElectionID): every shard elects its own leader.
*/}}
{{- define "seal-agent.leaseName" -}}
{{- if .Values.shard -}}
{{- printf "seal-agent-%s.seal.dev" .Values.shard -}}
{{- else -}}
seal-agent.seal.dev
{{- end -}}
{{- end -}}

{{- define "seal-agent.tag" -}}
{{- .Values.image.tag | default .Chart.AppVersion -}}
{{- end -}}

{{/* The agent's account, as an RBAC subject. */}}
{{- define "seal-agent.subject" -}}
- kind: ServiceAccount
  name: {{ include "seal-agent.fullname" . }}
  namespace: {{ .Release.Namespace }}
{{- end -}}

{{/*
Where reading credential Secrets and impersonating are granted, as a JSON
list: rbac.namespaces, else watchNamespace, else [] (cluster-wide).
*/}}
{{- define "seal-agent.bindingNamespaces" -}}
{{- if .Values.rbac.namespaces -}}
{{- .Values.rbac.namespaces | uniq | toJson -}}
{{- else if .Values.watchNamespace -}}
{{- list .Values.watchNamespace | toJson -}}
{{- else -}}
[]
{{- end -}}
{{- end -}}

{{/*
Binds the ClusterRole named by .role to the agent: one RoleBinding in each
of .namespaces, or one ClusterRoleBinding when .namespaces is empty.
Called with (dict "root" $ "role" NAME "namespaces" LIST).
*/}}
{{- define "seal-agent.binding" -}}
{{- $root := .root -}}
{{- if .namespaces }}
{{- range .namespaces }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {{ $.role }}
  namespace: {{ . }}
  labels:
    {{- include "seal-agent.labels" $root | nindent 4 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {{ $.role }}
subjects:
  {{- include "seal-agent.subject" $root | nindent 2 }}
{{- end }}
{{- else }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {{ .role }}
  labels:
    {{- include "seal-agent.labels" $root | nindent 4 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {{ .role }}
subjects:
  {{- include "seal-agent.subject" $root | nindent 2 }}
{{- end }}
{{- end -}}
