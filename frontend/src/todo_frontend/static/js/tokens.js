// The API tokens page: "Copy" puts the new token on the clipboard. Without the Clipboard API
// (a plain-HTTP address other than localhost) the token is selected for the person to copy.

const field = document.getElementById("new-token");
const button = document.getElementById("copy-token");
const status = document.getElementById("copy-status");

if (field && button) {
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(field.value);
      status.textContent = "Copied to the clipboard.";
    } catch {
      field.focus();
      field.select();
      status.textContent = "Selected: press Ctrl+C (⌘C on a Mac) to copy.";
    }
  });
}
