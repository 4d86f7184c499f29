/* Load the vendored htmx when the CDN copy did not arrive (offline intranet, blocked CDN).
   document.write keeps the load parser-blocking, so htmx still initialises on DOMContentLoaded;
   a same-origin script is never subject to Chrome's document.write intervention. */
(function () {
  if (window.htmx) { return; }
  var me = document.currentScript;
  var src = me && me.getAttribute("data-src");
  if (src) { document.write('<script src="' + src.replace(/"/g, "") + '"><\/script>'); }
})();
