// The API reference: Swagger UI (swagger-ui-dist, served by the platform) over /api/openapi.json.
// "Try it out" runs with the console's session cookie, same origin; state changes need the CSRF header.
window.ui = SwaggerUIBundle({
  url: '/api/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  docExpansion: 'list',
  defaultModelsExpandDepth: 0,
  requestInterceptor: (req) => {
    req.headers['X-H627-CSRF'] = '1';
    return req;
  },
});
