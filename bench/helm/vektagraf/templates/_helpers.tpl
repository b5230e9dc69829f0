{{/* The application's name: the release name unless overridden. */}}
{{- define "vektagraf.name" -}}
{{- default .Release.Name .Values.nameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{/* The component's full name: APP-COMPONENT (vektagraf-app). */}}
{{- define "vektagraf.fullname" -}}
{{- printf "%s-%s" (include "vektagraf.name" .) .Values.component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The namespace everything renders into. */}}
{{- define "vektagraf.namespace" -}}
{{- default (printf "%s-%s" (include "vektagraf.name" .) "default") .Values.namespace -}}
{{- end -}}

{{/* Labels every object carries. */}}
{{- define "vektagraf.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "vektagraf.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Labels that select the component's pods. */}}
{{- define "vektagraf.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vektagraf.name" . }}
app.kubernetes.io/component: {{ .Values.component }}
{{- end -}}

{{/* Blue-green: is it on. */}}
{{- define "vektagraf.blueGreen" -}}
{{- if eq .Values.strategy.type "blue-green" }}true{{ end -}}
{{- end -}}

{{/* Blue-green: the live colour (required). */}}
{{- define "vektagraf.activeColor" -}}
{{- $c := required "strategy.activeColor is required for blue-green (blue or green)" .Values.strategy.activeColor -}}
{{- if not (has $c (list "blue" "green")) -}}
{{- fail (printf "strategy.activeColor must be blue or green, not %q" $c) -}}
{{- end -}}
{{- $c -}}
{{- end -}}

{{/* Blue-green: the colour the new version is deployed into. */}}
{{- define "vektagraf.idleColor" -}}
{{- if eq (include "vektagraf.activeColor" .) "blue" }}green{{ else }}blue{{ end -}}
{{- end -}}

{{/* The workload's name: with the colour suffix under blue-green. */}}
{{- define "vektagraf.workloadName" -}}
{{- if include "vektagraf.blueGreen" . -}}
{{- printf "%s-%s" (include "vektagraf.fullname" .) (include "vektagraf.idleColor" .) -}}
{{- else -}}
{{- include "vektagraf.fullname" . -}}
{{- end -}}
{{- end -}}

{{/* The image reference. */}}
{{- define "vektagraf.image" -}}
{{- printf "%s:%s" .Values.image.repository (required "image.tag is required" .Values.image.tag) -}}
{{- end -}}

{{/* The application configuration file, as rendered into the ConfigMap. */}}
{{- define "vektagraf.configJson" -}}
{{- toPrettyJson .Values.config.data -}}
{{- end -}}

{{/* Service ports from .Values.ports. */}}
{{- define "vektagraf.servicePorts" -}}
{{- range .Values.ports }}
- name: {{ .name }}
  port: {{ default .containerPort .servicePort }}
  targetPort: {{ .name }}
  protocol: {{ default "TCP" .protocol }}
{{- end }}
{{- end -}}

{{/* One Service: dict "root" $ "name" NAME "color" COLOR (or "": all pods). */}}
{{- define "vektagraf.service" -}}
{{- $root := .root -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ .name }}
  namespace: {{ include "vektagraf.namespace" $root }}
  labels:
    {{- include "vektagraf.labels" $root | nindent 4 }}
  {{- with $root.Values.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ $root.Values.service.type }}
  selector:
    {{- include "vektagraf.selectorLabels" $root | nindent 4 }}
    {{- with .color }}
    {{ $root.Values.strategy.colorLabel }}: {{ . }}
    {{- end }}
  ports:
    {{- include "vektagraf.servicePorts" $root | trim | nindent 4 }}
{{- end -}}
