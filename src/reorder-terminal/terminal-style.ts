/** The reorder terminal's stylesheet (served as /reorder/assets/<version>/terminal.css). */
export const TERMINAL_CSS = `* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font-family: system-ui, sans-serif; color: #1d2733; background: #f5f7fa; }
header { background: #2a7ab0; color: #fff; padding: 0.75rem 1.5rem; }
header h1 { margin: 0; font-size: 1.4rem; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
section { background: #fff; border: 1px solid #d8dee6; border-radius: 8px; padding: 1rem 1.25rem; margin: 1rem 0; }
h2 { margin-top: 0; font-size: 1.15rem; }
label { display: block; font-size: 0.9rem; margin: 0.4rem 0 0.15rem; }
input, select, button { font: inherit; padding: 0.35rem 0.5rem; }
button { background: #2a7ab0; color: #fff; border: 0; border-radius: 4px; cursor: pointer; margin-top: 0.6rem; }
button:disabled { background: #93a4b4; cursor: default; }
.row { display: flex; gap: 0.5rem; align-items: end; flex-wrap: wrap; }
.row label { margin: 0; align-self: center; }
.row button { margin-top: 0; }
.columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: 1.5rem; }
.columns input { width: 100%; }
.grid { display: grid; grid-template-columns: 14rem 1fr; gap: 0.3rem 0.75rem; align-items: center; }
.grid label { margin: 0; }
.grid button { grid-column: 2; justify-self: start; }
#thumbnails { display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr)); gap: 0.75rem; }
.thumb { border: 2px solid #d8dee6; border-radius: 6px; padding: 0.4rem; margin: 0; }
.thumb.picked { border-color: #2a7ab0; background: #eef6fc; }
.thumb img { display: block; width: 100%; height: 8rem; object-fit: contain; background: #eef1f4; }
.thumb label { display: inline; margin: 0; }
.thumb select, .thumb input[type=number] { width: 100%; margin-top: 0.25rem; }
.hint { color: #5a6673; margin-top: 0; }
#errors { background: #fdecec; border: 1px solid #e0a3a3; color: #8a1f1f; border-radius: 6px; padding: 0.5rem 1rem; }
#errors ul { margin: 0; padding-left: 1.2rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.3rem 0.5rem; border-bottom: 1px solid #e3e8ee; }
td.amount, th:last-child { text-align: right; }
.total { font-size: 1.15rem; text-align: right; }
fieldset { border: 1px solid #d8dee6; border-radius: 6px; margin-top: 0.75rem; }
fieldset label { display: block; }
dl { display: grid; grid-template-columns: 10rem 1fr; gap: 0.3rem 1rem; }
dt { color: #5a6673; }
dd { margin: 0; font-weight: 600; }
#counter-note, #gateway-note { background: #fff8e5; border: 1px solid #e8d08a; border-radius: 6px; padding: 0.5rem 1rem; }
#delivered-note { color: #1f6b34; font-weight: 600; }
`;
