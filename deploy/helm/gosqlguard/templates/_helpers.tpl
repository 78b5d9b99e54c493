{{/* Names and labels. */}}
{{- define "gosqlguard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "gosqlguard.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "gosqlguard.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "gosqlguard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gosqlguard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "gosqlguard.labels" -}}
helm.sh/chart: {{ include "gosqlguard.chart" . }}
{{ include "gosqlguard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "gosqlguard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "gosqlguard.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "gosqlguard.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "gosqlguard.configPath" -}}/etc/gosqlguard/gosqlguard.yaml{{- end -}}

{{/* The catalog driver of the config: sqlite when not given. */}}
{{- define "gosqlguard.catalogDriver" -}}
{{- $cat := (.Values.config | default dict).catalog | default dict -}}
{{- $cat.driver | default "sqlite" -}}
{{- end -}}

{{/*
True ("true") when the data volume is a ReadWriteOnce claim: only one node
can mount it, so pods are replaced with Recreate.
*/}}
{{- define "gosqlguard.rwoClaim" -}}
{{- if and .Values.persistence.enabled (not (has "ReadWriteMany" .Values.persistence.accessModes)) -}}true{{- end -}}
{{- end -}}

{{/*
A string made a DNS-1123 label's characters: lower case, every run of
characters other than a-z, 0-9 and - turned into one -, no - at either end.
May be empty (nothing usable was left).
*/}}
{{- define "gosqlguard.dnsLabel" -}}
{{- regexReplaceAll "[^a-z0-9-]+" (lower (toString .)) "-" | trimAll "-" -}}
{{- end -}}

{{/*
The name of one CronJob. Takes a dict: root (the chart's context), job (an
entry of cronjob.jobs). "<fullname, cut to 40>-<job>", where <job> is the
entry's name (default: its type) made a DNS-1123 label (gosqlguard.dnsLabel:
nightly_full gives nightly-full, Daily.Run gives daily-run), the whole cut
to 52 characters (the Job controller appends 11 to make a Job's name) with
no - at either end. gosqlguard.validate refuses an entry whose <job> is
empty and two entries with the same name.
*/}}
{{- define "gosqlguard.cronJobName" -}}
{{- $prefix := include "gosqlguard.fullname" .root | trunc 40 -}}
{{- $j := .job | default dict -}}
{{- $job := include "gosqlguard.dnsLabel" ($j.name | default $j.type) -}}
{{- include "gosqlguard.dnsLabel" (printf "%s-%s" $prefix $job) | trunc 52 | trimAll "-" -}}
{{- end -}}

{{/*
"true" when a path of the config (a local storage's path, the SQLite
catalog file) is on a writable volume of the pod: under
persistence.mountPath, or under a writable mount of extraVolumeMounts. A
relative path is relative to the working directory, persistence.mountPath.
A path with an "${ENV}" reference cannot be checked here and counts as on
the volume. Takes a dict: root, path.
*/}}
{{- define "gosqlguard.writablePath" -}}
{{- $p := toString .path -}}
{{- if contains "${" $p -}}true{{- else -}}
{{- $data := clean .root.Values.persistence.mountPath -}}
{{- $p = ternary (clean $p) (clean (printf "%s/%s" $data $p)) (isAbs $p) -}}
{{- $mounts := list $data -}}
{{- range .root.Values.extraVolumeMounts -}}
{{- if and .mountPath (not .readOnly) -}}{{- $mounts = append $mounts (clean .mountPath) -}}{{- end -}}
{{- end -}}
{{- $ok := false -}}
{{- range $mounts -}}
{{- if or (eq $p .) (hasPrefix (printf "%s/" (trimSuffix "/" .)) $p) -}}{{- $ok = true -}}{{- end -}}
{{- end -}}
{{- if $ok -}}true{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The pod's topologySpreadConstraints: each entry of the value, with a
labelSelector of the chart's selector labels and the pods' component
(daemon or backup) filled in when the entry has none. Takes a dict: root,
component.
*/}}
{{- define "gosqlguard.topologySpreadConstraints" -}}
{{- $out := list -}}
{{- range .root.Values.topologySpreadConstraints -}}
{{- $c := deepCopy . -}}
{{- if not (hasKey $c "labelSelector") -}}
{{- $sel := include "gosqlguard.selectorLabels" $.root | fromYaml -}}
{{- $_ := set $sel "app.kubernetes.io/component" $.component -}}
{{- $_ := set $c "labelSelector" (dict "matchLabels" $sel) -}}
{{- end -}}
{{- $out = append $out $c -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/*
The configuration file: .Values.config with http.listen (daemon mode) and
the SQLite catalog's path (when none is given) filled in.
*/}}
{{- define "gosqlguard.config" -}}
{{- $cfg := deepCopy (.Values.config | default dict) -}}
{{- if eq .Values.mode "daemon" -}}
{{- $http := deepCopy ($cfg.http | default dict) -}}
{{- $_ := set $http "listen" (printf ":%d" (int .Values.containerPort)) -}}
{{- $_ := set $cfg "http" $http -}}
{{- end -}}
{{- $cat := deepCopy ($cfg.catalog | default dict) -}}
{{- if and (eq (include "gosqlguard.catalogDriver" .) "sqlite") (not $cat.dsn) (not $cat.dsn_file) -}}
{{- $_ := set $cat "driver" "sqlite" -}}
{{- $_ := set $cat "dsn" (printf "%s/catalog.db" (trimSuffix "/" .Values.persistence.mountPath)) -}}
{{- $_ := set $cfg "catalog" $cat -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/*
Seconds of a duration in the config's syntax (Go's units plus d and w,
combined, decimals allowed: 90s, 5m, 1h30m, 1.5d), rounded up. Anything else
(e.g. an "${ENV}" reference) fails the render.
*/}}
{{- define "gosqlguard.durationSeconds" -}}
{{- $s := toString . -}}
{{- if eq $s "0" -}}0{{- else -}}
{{- if not (regexMatch "^([0-9]*\\.?[0-9]+(ns|us|µs|ms|s|m|h|d|w))+$" $s) -}}
{{- fail (printf "config.daemon.shutdown_timeout %q: cannot derive terminationGracePeriodSeconds from it; set terminationGracePeriodSeconds" $s) -}}
{{- end -}}
{{- $units := dict "ns" 0.000000001 "us" 0.000001 "µs" 0.000001 "ms" 0.001 "s" 1.0 "m" 60.0 "h" 3600.0 "d" 86400.0 "w" 604800.0 -}}
{{- $total := 0.0 -}}
{{- range regexFindAll "[0-9]*\\.?[0-9]+(ns|us|µs|ms|s|m|h|d|w)" $s -1 -}}
{{- $num := regexFind "^[0-9]*\\.?[0-9]+" . -}}
{{- $unit := trimPrefix $num . -}}
{{- $total = addf $total (mulf (float64 $num) (get $units $unit)) -}}
{{- end -}}
{{- ceil $total | int -}}
{{- end -}}
{{- end -}}

{{/* terminationGracePeriodSeconds of the daemon's pods. */}}
{{- define "gosqlguard.daemonGrace" -}}
{{- if ne (toString .Values.terminationGracePeriodSeconds) "" -}}
{{- int .Values.terminationGracePeriodSeconds -}}
{{- else -}}
{{- $daemon := (.Values.config | default dict).daemon | default dict -}}
{{- $st := include "gosqlguard.durationSeconds" ($daemon.shutdown_timeout | default "5m") | int -}}
{{- add $st (int .Values.terminationGraceExtraSeconds) -}}
{{- end -}}
{{- end -}}

{{/* An inline secret is allowed only as a whole "${NAME}" reference. */}}
{{- define "gosqlguard.checkInline" -}}
{{- $v := index . 1 -}}
{{- if and $v (not (regexMatch "^\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}$" (toString $v))) -}}
{{- fail (printf "%s is inline in values: secrets go in a mounted Secret, with %s_file (see `secrets`), or as an \"${ENV}\" reference" (index . 0) (regexReplaceAll "^.*\\." (index . 0) "")) -}}
{{- end -}}
{{- end -}}

{{/* Every check that fails the render, with a message that says what to do. */}}
{{- define "gosqlguard.validate" -}}
{{- $cfg := .Values.config | default dict -}}
{{- $driver := include "gosqlguard.catalogDriver" . -}}
{{- if not (has .Values.mode (list "daemon" "cronjob")) -}}
{{- fail (printf "mode must be daemon or cronjob, not %q" .Values.mode) -}}
{{- end -}}
{{- if not (has $driver (list "sqlite" "postgres" "mysql")) -}}
{{- fail (printf "config.catalog.driver must be sqlite, postgres or mysql, not %q" $driver) -}}
{{- end -}}
{{- if and (eq .Values.mode "daemon") (gt (int .Values.replicaCount) 1) (eq $driver "sqlite") -}}
{{- fail (printf "replicaCount is %d but the catalog is the embedded SQLite one, which allows one `gosqlguard serve` per file: set replicaCount: 1, or use a shared catalog (config.catalog.driver postgres or mysql with dsn_file)" (int .Values.replicaCount)) -}}
{{- end -}}
{{- if and (eq .Values.mode "daemon") (gt (int .Values.replicaCount) 1) (include "gosqlguard.rwoClaim" .) -}}
{{- if .Values.persistence.existingClaim -}}
{{- fail (printf "replicaCount > 1 with persistence.existingClaim %q and persistence.accessModes %v: the chart takes the claim's access modes from persistence.accessModes (it cannot look at the claim); if the claim is ReadWriteMany, set persistence.accessModes: [ReadWriteMany], else set persistence.enabled: false (a shared catalog and S3 storages need no volume)" .Values.persistence.existingClaim .Values.persistence.accessModes) -}}
{{- end -}}
{{- fail "replicaCount > 1 with a ReadWriteOnce persistence claim: the replicas cannot share it; set persistence.enabled: false (a shared catalog and S3 storages need no volume) or persistence.accessModes: [ReadWriteMany]" -}}
{{- end -}}
{{- if ($cfg.http | default dict).listen -}}
{{- fail "config.http.listen is set by the chart (\":<containerPort>\"); remove it, and set service.port for the Service's port" -}}
{{- end -}}
{{- if or (lt (int .Values.containerPort) 1024) (gt (int .Values.containerPort) 65535) -}}
{{- fail (printf "containerPort %d: the daemon runs as a non-root user without capabilities and can listen only on a port from 1024 to 65535; keep 8080 and set service.port for the port the Service exposes (it maps to the container's port http)" (int .Values.containerPort)) -}}
{{- end -}}
{{- if eq .Values.mode "daemon" -}}
{{- $tokens := ((($cfg.http | default dict).auth) | default dict).tokens | default list -}}
{{- if not (kindIs "slice" $tokens) -}}
{{- fail "config.http.auth.tokens is not a list of tokens: give a list of maps with name, role and token_file (from a mounted Secret) or token_sha256" -}}
{{- end -}}
{{- $usable := false -}}
{{- range $i, $t := $tokens -}}
{{- if not (kindIs "map" $t) -}}
{{- fail (printf "config.http.auth.tokens[%d] is %q, not a token: each entry is a map with name, role and token_file (from a mounted Secret) or token_sha256" $i (toString $t)) -}}
{{- end -}}
{{- if or $t.token_file $t.token_sha256 -}}{{- $usable = true -}}{{- end -}}
{{- end -}}
{{- if not $usable -}}
{{- fail "config.http.auth.tokens is empty (no entry with token_file or token_sha256): in a pod the daemon listens on every address and refuses to serve unauthenticated there; add a token (token_file from a mounted Secret, or token_sha256)" -}}
{{- end -}}
{{- end -}}
{{- if not (isAbs (toString .Values.persistence.mountPath)) -}}
{{- fail (printf "persistence.mountPath %q must be an absolute path" (toString .Values.persistence.mountPath)) -}}
{{- end -}}
{{- $data := clean .Values.persistence.mountPath -}}
{{- range $i, $s := $cfg.storages | default list -}}
{{- if and (kindIs "map" $s) (eq (toString $s.type) "local") $s.path -}}
{{- if not (include "gosqlguard.writablePath" (dict "root" $ "path" $s.path)) -}}
{{- fail (printf "config.storages[%d].path %q is not under persistence.mountPath %q: the root file system is read-only and only the data volume is kept; put the local storage under %s (or mount a writable volume there with extraVolumes/extraVolumeMounts)" $i (toString $s.path) $data $data) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and (eq $driver "sqlite") (($cfg.catalog | default dict).dsn) -}}
{{- if not (include "gosqlguard.writablePath" (dict "root" $ "path" $cfg.catalog.dsn)) -}}
{{- fail (printf "config.catalog.dsn %q (the SQLite catalog file) is not under persistence.mountPath %q: the root file system is read-only and only the data volume is kept; remove the dsn (the chart puts catalog.db there) or put it under %s" (toString $cfg.catalog.dsn) $data $data) -}}
{{- end -}}
{{- end -}}
{{- $cat := $cfg.catalog | default dict -}}
{{- if ne $driver "sqlite" -}}
{{- if and (not $cat.dsn) (not $cat.dsn_file) -}}
{{- fail (printf "config.catalog.driver is %s: set config.catalog.dsn_file to a file of a mounted Secret holding the DSN" $driver) -}}
{{- end -}}
{{- include "gosqlguard.checkInline" (list "config.catalog.dsn" $cat.dsn) -}}
{{- end -}}
{{- range $i, $s := $cfg.servers | default list -}}
{{- include "gosqlguard.checkInline" (list (printf "config.servers[%d].password" $i) $s.password) -}}
{{- end -}}
{{- range $i, $s := $cfg.storages | default list -}}
{{- include "gosqlguard.checkInline" (list (printf "config.storages[%d].access_key_id" $i) $s.access_key_id) -}}
{{- include "gosqlguard.checkInline" (list (printf "config.storages[%d].secret_access_key" $i) $s.secret_access_key) -}}
{{- end -}}
{{- range $i, $w := (($cfg.notifications | default dict).webhooks) | default list -}}
{{- include "gosqlguard.checkInline" (list (printf "config.notifications.webhooks[%d].url" $i) $w.url) -}}
{{- end -}}
{{- $fixed := dict "/etc/gosqlguard" "the config's mount" "/tmp" "the /tmp emptyDir" -}}
{{- if hasKey $fixed $data -}}
{{- fail (printf "persistence.mountPath %q is %s: choose another path (default /var/lib/gosqlguard)" $data (get $fixed $data)) -}}
{{- end -}}
{{- $_ := set $fixed $data "the data volume's persistence.mountPath" -}}
{{- range $i, $s := .Values.secrets -}}
{{- if or (not (kindIs "map" $s)) (not $s.name) (not $s.mountPath) -}}
{{- fail (printf "secrets[%d] needs name (an existing Secret) and mountPath" $i) -}}
{{- end -}}
{{- $mp := clean (toString $s.mountPath) -}}
{{- if hasKey $fixed $mp -}}
{{- fail (printf "secrets[%d].mountPath %q is %s: mount each Secret at a path of its own (e.g. /run/secrets/%s)" $i $mp (get $fixed $mp) (toString $s.name)) -}}
{{- end -}}
{{- $_ := set $fixed $mp (printf "also secrets[%d].mountPath" $i) -}}
{{- end -}}
{{- if and .Values.serviceMonitor.enabled (eq .Values.mode "daemon") -}}
{{- $public := ((($cfg.http | default dict).auth) | default dict).metrics_public -}}
{{- if and (not $public) (or (not .Values.serviceMonitor.bearerTokenSecret.name) (not .Values.serviceMonitor.bearerTokenSecret.key)) -}}
{{- fail "serviceMonitor.enabled but /metrics needs a token: set serviceMonitor.bearerTokenSecret.name and .key (a Secret holding one of config.http.auth.tokens), or config.http.auth.metrics_public: true" -}}
{{- end -}}
{{- end -}}
{{- if eq .Values.mode "cronjob" -}}
{{- if not .Values.cronjob.jobs -}}
{{- fail "mode is cronjob but cronjob.jobs is empty" -}}
{{- end -}}
{{- $types := keys ($cfg.backup_types | default dict) -}}
{{- $names := dict -}}
{{- range $i, $j := .Values.cronjob.jobs -}}
{{- if or (not (kindIs "map" $j)) (not $j.type) (not $j.schedule) -}}
{{- fail (printf "cronjob.jobs[%d] needs type and schedule" $i) -}}
{{- end -}}
{{- if not (or (eq $j.type "manual") (has $j.type $types)) -}}
{{- fail (printf "cronjob.jobs[%d].type %q is not a key of config.backup_types (nor manual)" $i $j.type) -}}
{{- end -}}
{{- $sched := trim (toString $j.schedule) -}}
{{- if not (regexMatch "^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|[0-9A-Za-z*/,?-]+([ \t]+[0-9A-Za-z*/,?-]+){4})$" $sched) -}}
{{- fail (printf "cronjob.jobs[%d].schedule %q is not a Kubernetes CronJob schedule: give 5 fields (minute hour day-of-month month day-of-week, e.g. \"30 2 * * *\") or one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly (the time zone goes in cronjob.timeZone)" $i $sched) -}}
{{- end -}}
{{- if not (include "gosqlguard.dnsLabel" ($j.name | default $j.type)) -}}
{{- fail (printf "cronjob.jobs[%d]: %q has no letter or digit to name its CronJob by; set cronjob.jobs[%d].name" $i (toString ($j.name | default $j.type)) $i) -}}
{{- end -}}
{{- $name := include "gosqlguard.cronJobName" (dict "root" $ "job" $j) -}}
{{- if hasKey $names $name -}}
{{- fail (printf "cronjob.jobs[%v] and cronjob.jobs[%d] both make the CronJob %q (the release's full name cut to 40, then the job's name or else its type, lower-cased, other characters than a-z, 0-9 and - turned into -, cut to 52): set distinct, short cronjob.jobs[].name" (get $names $name) $i $name) -}}
{{- end -}}
{{- $_ := set $names $name $i -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The pod spec shared by the Deployment and the CronJobs. Takes a dict:
root (the chart's context), args (the container's arguments), grace
(terminationGracePeriodSeconds), restartPolicy (optional), probes (bool),
component (the pods' app.kubernetes.io/component: daemon or backup).
*/}}
{{- define "gosqlguard.podSpec" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
serviceAccountName: {{ include "gosqlguard.serviceAccountName" $root }}
automountServiceAccountToken: false
{{- with $v.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .restartPolicy }}
restartPolicy: {{ . }}
{{- end }}
terminationGracePeriodSeconds: {{ .grace }}
securityContext:
  {{- toYaml $v.podSecurityContext | nindent 2 }}
{{- with $v.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
containers:
  - name: gosqlguard
    image: {{ include "gosqlguard.image" $root | quote }}
    imagePullPolicy: {{ $v.image.pullPolicy }}
    args:
      {{- toYaml .args | nindent 6 }}
    env:
      - name: GOSQLGUARD_CONFIG
        value: {{ include "gosqlguard.configPath" $root }}
      {{- with $v.extraEnv }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
    {{- with $v.extraEnvFrom }}
    envFrom:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    workingDir: {{ $v.persistence.mountPath }}
    {{- if .probes }}
    ports:
      - name: http
        containerPort: {{ int $v.containerPort }}
        protocol: TCP
    {{- with $v.livenessProbe }}
    livenessProbe:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with $v.readinessProbe }}
    readinessProbe:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with $v.startupProbe }}
    startupProbe:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- end }}
    securityContext:
      {{- toYaml $v.securityContext | nindent 6 }}
    {{- with $v.resources }}
    resources:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    volumeMounts:
      - name: config
        mountPath: /etc/gosqlguard
        readOnly: true
      - name: tmp
        mountPath: /tmp
      - name: data
        mountPath: {{ $v.persistence.mountPath }}
      {{- range $i, $s := $v.secrets }}
      {{- $s = $s | default dict }}
      - name: secret-{{ $i }}
        mountPath: {{ $s.mountPath }}
        readOnly: true
      {{- end }}
      {{- with $v.extraVolumeMounts }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
volumes:
  - name: config
    configMap:
      name: {{ include "gosqlguard.fullname" $root }}
      items:
        - key: gosqlguard.yaml
          path: gosqlguard.yaml
  - name: tmp
    emptyDir:
      {{- with $v.tmp.medium }}
      medium: {{ . }}
      {{- end }}
      {{- with $v.tmp.sizeLimit }}
      sizeLimit: {{ . }}
      {{- end }}
  - name: data
    {{- if $v.persistence.enabled }}
    persistentVolumeClaim:
      claimName: {{ $v.persistence.existingClaim | default (include "gosqlguard.fullname" $root) }}
    {{- else }}
    emptyDir: {}
    {{- end }}
  {{- range $i, $s := $v.secrets }}
  {{- $s = $s | default dict }}
  - name: secret-{{ $i }}
    secret:
      secretName: {{ $s.name }}
      defaultMode: 288 # 0440: owner and group (fsGroup 10001) read
      {{- with $s.items }}
      items:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if hasKey $s "optional" }}
      optional: {{ $s.optional }}
      {{- end }}
  {{- end }}
  {{- with $v.extraVolumes }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- with $v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if $v.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- include "gosqlguard.topologySpreadConstraints" (dict "root" $root "component" .component) | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
