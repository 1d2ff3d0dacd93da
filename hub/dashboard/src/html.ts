import { h } from 'preact';
import htm from 'htm';

/** htm tagged templates over preact: no JSX build step. */
export const html = htm.bind(h);
