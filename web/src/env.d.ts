/** Side-effect style imports the bundler handles (Bun bundles the CSS next to the script). */
declare module '*.css';
