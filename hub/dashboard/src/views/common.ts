import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.ts';
import { blobUrl, openLiveView, snapshotPath } from '../api.ts';
import { nameOf, t, tr } from '../i18n.ts';
import { kindIcon, kindLabel, severityLabel, losColour, losLabel, losTextColour, statusLabel, type Los } from '../logic.ts';

/** A snapshot behind the login, fetched as a blob. */
export function Snapshot({ snap, alt, large }: { snap: { bucket: string; name: string } | null | undefined; alt: string; large?: boolean }) {
  const [url, setUrl] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  const path = snap ? snapshotPath(snap) : null;
  useEffect(() => {
    if (!path) return;
    let live = true;
    blobUrl(path).then((u) => live && setUrl(u), () => live && setFailed(true));
    return () => { live = false; };
  }, [path]);
  const cls = large ? 'snap snap-large' : 'snap';
  if (!snap) return html`<div class=${cls + ' snap-none'} aria-label=${t('ui.snap.none')}>${t('ui.snap.none')}</div>`;
  if (failed) return html`<div class=${cls + ' snap-none'}>${t('ui.snap.unavailable')}</div>`;
  return url ? html`<img class=${cls} src=${url} alt=${alt} />` : html`<div class=${cls + ' snap-none'}>${t('ui.loading')}</div>`;
}

/**
 * A camera's live picture (1–2 fps from its edge, persons blurred where the
 * site asks), for the roles allowed live video. The stream stops when the
 * view goes away.
 */
export function LiveView({ site, camera, title }: { site: string; camera: string; title: string }) {
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setUrl(null); setError(null);
    return openLiveView(site, camera, setUrl, setError);
  }, [site, camera]);
  return html`<figure class="live-view" data-live-camera=${camera}>
    ${url ? html`<img src=${url} alt=${t('ui.live.title', { camera: title })} />` : html`<div class="snap snap-large snap-none">${error ? t('ui.live.unavailable', { reason: error }) : t('ui.live.connecting')}</div>`}
    <figcaption>${t('ui.live.title', { camera: title })} · ${t('ui.live.rate', { fps: 2 })}</figcaption>
  </figure>`;
}

export function SeverityBadge({ severity }: { severity: string }) {
  return html`<span class=${'badge sev-' + severity}>${severityLabel(tr(), severity)}</span>`;
}

export function KindLabel({ kind }: { kind: string }) {
  return html`<span class="kind"><span aria-hidden="true">${kindIcon(kind)}</span> ${kindLabel(tr(), kind)}</span>`;
}

export function LosBadge({ los }: { los: Los | null | undefined }) {
  return html`<span class=${'badge los los-' + (los ?? 'none')} style=${{ background: losColour(los), color: losTextColour(los) }} title=${losLabel(tr(), los)}>${los ? `LOS ${los}` : 'LOS –'}</span>`;
}

export function StatusBadge({ status, kind = 'incident' }: { status: string; kind?: 'incident' | 'dispatch' | 'unit' }) {
  const word = kind === 'dispatch' ? tr().lookup(`dispatchState.${status}`) : kind === 'unit' ? tr().lookup(`unitStatus.${status}`) : statusLabel(tr(), status);
  return html`<span class=${'badge st-' + status}>${word ?? status.replace(/_/g, ' ')}</span>`;
}

/** Where something is, in the reader's language: the zone's name, else the camera's, else the site's. */
export function placeLabel(site: any, item: { zone?: string | null; camera?: string | null; site?: string }): string {
  if (!site) return item.zone || item.camera || item.site || '';
  if (item.zone) {
    for (const c of site.cameras ?? []) { const z = c.zones.find((x: any) => x.id === item.zone); if (z) return nameOf(z, item.zone); }
    return item.zone;
  }
  if (item.camera) {
    const cam = site.cameras?.find((c: any) => c.id === item.camera) ?? site.sensors?.find((c: any) => c.id === item.camera);
    return nameOf(cam, item.camera);
  }
  return nameOf(site, site.id);
}
