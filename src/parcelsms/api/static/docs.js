// Renders /openapi.json with the vendored Swagger UI. Kept out of docs.html so the page
// needs no inline script (it works under a Content-Security-Policy without 'unsafe-inline').
window.addEventListener("load", function () {
  window.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#docs",
    deepLinking: true,
    tryItOutEnabled: false,
  });
});
