// Stylesheets and scripts the dashboard serves, imported as text (`with { type: "text" }`) so
// the compiled binary embeds them (assets.ts).
declare module "*.css" {
  const text: string;
  export default text;
}
declare module "htmx.org/dist/htmx.min.js" {
  const text: string;
  export default text;
}
