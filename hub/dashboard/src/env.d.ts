/** esbuild bundles CSS imports into app.css; to TypeScript they are side-effect modules. */
declare module '*.css';
