import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.ts';
import { blobUrl, snapshotPath } from '../api.ts';
import { kindIcon, kindLabel, severityLabel, losColour, losLabel, losTextColour, type Los } from '../logic.ts';

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
  if (!snap) return html`<div class=${cls + ' snap-none'} aria-label="no snapshot">no snapshot</div>`;
  if (failed) return html`<div class=${cls + ' snap-none'}>snapshot unavailable</div>`;
  return url ? html`<img class=${cls} src=${url} alt=${alt} />` : html`<div class=${cls + ' snap-none'}>loading…</div>`;
}

export function SeverityBadge({ severity }: { severity: string }) {
  return html`<span class=${'badge sev-' + severity}>${severityLabel(severity)}</span>`;
}

export function KindLabel({ kind }: { kind: string }) {
  return html`<span class="kind"><span aria-hidden="true">${kindIcon(kind)}</span> ${kindLabel(kind)}</span>`;
}

export function LosBadge({ los }: { los: Los | null | undefined }) {
  return html`<span class=${'badge los los-' + (los ?? 'none')} style=${{ background: losColour(los), color: losTextColour(los) }} title=${losLabel(los)}>${los ? `LOS ${los}` : 'LOS –'}</span>`;
}

export function StatusBadge({ status }: { status: string }) {
  return html`<span class=${'badge st-' + status}>${status.replace(/_/g, ' ')}</span>`;
}
