// The bundle's entry module: every handler app.json names is exported from here.
export { putItem, getItem, deleteItem, listItems, countItems } from "./items.js";
export { whoami, digest, aesKey, increment, status } from "./tools.js";
