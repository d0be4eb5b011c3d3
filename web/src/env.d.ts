/** Side-effect style imports the bundler handles (Bun bundles the CSS next to the script). */
declare module '*.css';
/** hls.js's transmuxing worker, imported `with { type: 'file' }`: the bundler copies it and gives its URL. */
declare module 'hls.js/dist/hls.worker.js' {
  const url: string;
  export default url;
}
