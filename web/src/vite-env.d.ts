// CSS imported by main.tsx is bundled by Vite into its own file (CSP style-src 'self').
declare module '*.css';
