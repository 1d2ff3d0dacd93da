import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.ts';
import { api, blobUrl, quietly } from '../api.ts';
import { useStore } from '../store.ts';
import { t, tr } from '../i18n.ts';
import { kindLabel, may, timelinePercent, truthMarks, formatDuration, type Mark } from '../logic.ts';
import { SeverityBadge, KindLabel } from './common.ts';

function RunSnapshot({ run, alarm }: { run: string; alarm: any }) {
  const [url, setUrl] = useState<string | null>(null);
  const name = alarm.snapshot?.name ? String(alarm.snapshot.name).split('/').pop() : null;
  useEffect(() => { if (name) blobUrl(`/api/replay/runs/${run}/snapshots/${encodeURIComponent(name)}`).then(setUrl, quietly('replay snapshot load')); }, [run, name]);
  return url ? html`<img class="snap" src=${url} alt=${`${kindLabel(tr(), alarm.kind)} · ${alarm.mediaTime ?? '?'} s`} />` : html`<div class="snap snap-none">${name ? t('ui.loading') : t('ui.replay.noSnapshot')}</div>`;
}

export function ReplayView() {
  const s = useStore();
  const [clips, setClips] = useState<any[]>([]);
  const [run, setRun] = useState<any>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const [video, setVideo] = useState<string | null>(null);
  const [mediaDuration, setMediaDuration] = useState(0);
  const [playhead, setPlayhead] = useState<number | null>(null);
  const alarms = useRef<any[]>([]);
  const videoEl = useRef<HTMLVideoElement>(null);
  const fileEl = useRef<HTMLInputElement>(null);

  const loadClips = () => api<any>('/api/replay/clips').then((r) => setClips(r.clips), (e) => setMsg(e.message));
  useEffect(() => { void loadClips(); }, []);

  // Progress: poll the run and fetch only alarms not seen yet.
  useEffect(() => {
    if (!run || run.status === 'done' || run.status === 'failed') return;
    const t = setInterval(async () => {
      try {
        const r = await api<any>(`/api/replay/runs/${run.id}?after=${alarms.current.length}`);
        alarms.current = [...alarms.current, ...r.run.alarms];
        setRun({ ...r.run, alarms: alarms.current });
      } catch (e) { setMsg((e as Error).message); }
    }, 1000);
    return () => clearInterval(t);
  }, [run?.id, run?.status]);

  if (s.user && !may(s.user.role, 'replay.use')) return html`<section class="view"><h2>${t('ui.replay.title')}</h2><p>${t('ui.replay.engineersOnly')}</p></section>`;

  const start = async (clip: any) => {
    setMsg(null);
    alarms.current = [];
    setVideo(null);
    setMediaDuration(0);
    setPlayhead(null);
    try {
      const r = await api<any>('/api/replay/runs', { method: 'POST', json: { clip: clip.name, source: clip.source } });
      setRun(r.run);
      if (/\.(mp4|webm)$/i.test(clip.name)) blobUrl(`/api/replay/media/${clip.source}/${encodeURIComponent(clip.name)}`).then(setVideo, quietly('replay clip load'));
    } catch (e) { setMsg((e as Error).message); }
  };
  const upload = async (e: Event) => {
    e.preventDefault();
    const f = fileEl.current?.files?.[0];
    if (!f) return;
    setMsg(t('ui.replay.uploading', { name: f.name }));
    try {
      await api(`/api/replay/uploads?name=${encodeURIComponent(f.name)}`, { method: 'POST', body: f, headers: { 'content-type': f.type || 'application/octet-stream' } });
      setMsg(t('ui.replay.uploaded', { name: f.name }));
      await loadClips();
    } catch (err) { setMsg((err as Error).message); }
  };

  const duration = Number(run?.summary?.durationS ?? 0) || mediaDuration || Math.max(1, ...(run?.alarms ?? []).map((a: any) => a.mediaTime ?? 0)) * 1.05;
  // Scored at the dwell the replay ran with (the CLI's summary says which).
  const marks: Mark[] = run?.truth ? truthMarks(run.alarms, run.truth.objects, Number(run.summary?.abandoned?.dwellS ?? 30)) : [];
  const seek = (t: number) => { if (videoEl.current) { videoEl.current.currentTime = t; void videoEl.current.play().catch(quietly('replay playback')); } };

  return html`<section class="view replay" aria-labelledby="replay-title">
    <h2 id="replay-title">${t('ui.replay.title')}</h2>
    <div class="replay-pick">
      <form onSubmit=${upload} class="inline-form"><label>${t('ui.replay.upload')} <input type="file" accept="video/*" ref=${fileEl} /></label> <button class="btn" type="submit">${t('ui.replay.uploadButton')}</button></form>
      <table class="table clips"><thead><tr><th>${t('ui.replay.clip')}</th><th>${t('ui.replay.from')}</th><th>${t('ui.replay.size')}</th><th>${t('ui.replay.truth')}</th><th></th></tr></thead><tbody>
        ${clips.map((c) => html`<tr data-clip=${c.name}><td>${c.name}</td><td>${tr().lookup(`ui.replay.source.${c.source}`) ?? c.source}</td><td>${(c.bytes / 1e6).toFixed(1)} MB</td><td>${c.truth ? '✔ ' + c.truth : '—'}</td>
          <td><button class="btn small" onClick=${() => start(c)} disabled=${run && (run.status === 'running' || run.status === 'queued')}>${t('ui.replay.run')}</button></td></tr>`)}
      </tbody></table>
    </div>
    ${msg ? html`<p role="status" class="hint">${msg}</p>` : null}
    ${run ? html`<div class="run" data-run-status=${run.status}>
      <h3>${run.clip} — <span class="badge">${tr().lookup(`ui.replay.status.${run.status}`) ?? run.status}</span> · ${t('ui.replay.alarms', { n: run.alarms.length })}${run.startedAt ? ` · ${formatDuration(tr(), (run.endedAt ?? s.now) - run.startedAt)}` : ''}</h3>
      ${run.error ? html`<p class="error" role="alert">${run.error}</p>` : null}
      ${video ? html`<video ref=${videoEl} src=${video} controls muted class="replay-video" onLoadedMetadata=${(e: Event) => setMediaDuration((e.target as HTMLVideoElement).duration || 0)} onTimeUpdate=${(e: Event) => setPlayhead((e.target as HTMLVideoElement).currentTime)}></video>` : null}
      <div class="timeline-bar" role="list" aria-label=${t('ui.replay.timeline')}>
        ${run.alarms.map((a: any) => html`<button role="listitem" class=${'tl-mark alarm-mark sev-' + a.severity + ' st-' + a.state} style=${{ left: timelinePercent(a.mediaTime ?? 0, duration) + '%' }} title=${`${a.mediaTime?.toFixed?.(1) ?? '?'} s ${kindLabel(tr(), a.kind)} ${a.state === 'raised' ? t('ui.alarm.raised') : t('ui.alarm.cleared')}`} onClick=${() => seek(a.mediaTime ?? 0)}>${a.state === 'raised' ? '▼' : '△'}</button>`)}
        ${marks.map((m) => html`<span role="listitem" class=${'tl-mark truth-mark mark-' + m.kind} style=${{ left: timelinePercent(m.t, duration) + '%' }} title=${`${m.kind} · ${m.t.toFixed(1)} s`}>${m.kind}</span>`)}
        ${playhead !== null ? html`<span class="playhead" aria-hidden="true" style=${{ left: timelinePercent(playhead, duration) + '%' }}></span>` : null}
        <span class="tl-end">${duration.toFixed(0)} s</span>
      </div>
      ${run.summary ? html`<pre class="summary">${JSON.stringify(run.summary.abandoned ?? run.summary.alarms ?? run.summary, null, 1)}</pre>` : null}
      ${marks.length ? html`<p>${t('ui.replay.marks', { tp: marks.filter((m) => m.kind === 'TP').length, fp: marks.filter((m) => m.kind === 'FP').length, fn: marks.filter((m) => m.kind === 'FN').length })}</p>` : null}
      <ol class="alarm-list">${run.alarms.map((a: any) => html`<li class="alarm" data-kind=${a.kind}><${RunSnapshot} run=${run.id} alarm=${a} />
        <div class="alarm-body"><div class="alarm-head"><${SeverityBadge} severity=${a.severity} /> <${KindLabel} kind=${a.kind} /> ${a.state === 'raised' ? t('ui.alarm.raised') : t('ui.alarm.cleared')}</div>
        <div><button class="btn small" onClick=${() => seek(a.mediaTime ?? 0)}>${(a.mediaTime ?? 0).toFixed(1)} s</button> ${a.zone ? t('ui.alarm.zone', { zone: a.zone }) : ''} ${tr().locale === 'en' ? a.message ?? '' : ''}</div></div></li>`)}</ol>
    </div>` : null}
  </section>`;
}
