/** Agora's GraphQL endpoint (HTTP); the WebSocket is the same URL with ws(s). */
export const API_URL: string = import.meta.env.VITE_AGORA_URL || 'http://127.0.0.1:4000/graphql';
export const WS_URL = API_URL.replace(/^http/, 'ws');
