// Send CSRF with htmx requests made from pages whose body carries hx-headers.
document.body.addEventListener("htmx:responseError", function (event) {
  var status = event.detail.xhr.status;
  var message = status === 403 ? "You do not have access to that." :
    "The server could not complete that request (" + status + "). Please try again.";
  var box = document.getElementById("htmx-error");
  if (!box) {
    box = document.createElement("div");
    box.id = "htmx-error";
    box.className = "alert alert-danger";
    box.setAttribute("role", "alert");
    document.querySelector("main").prepend(box);
  }
  box.textContent = message;
});
