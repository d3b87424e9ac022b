// Apache ECharts, loaded on first use from the URL the page names; absent when the library was
// not installed, and then every chart says so instead.
let loading = null;

export function chartsLibrary() {
  const url = document.querySelector('meta[name="kefu-charts"]').content;
  if (!url) return Promise.resolve(null);
  loading ??= import(url).catch(() => null);
  return loading;
}

export async function drawChart(element, option) {
  const echarts = await chartsLibrary();
  if (echarts === null) return false;
  element.classList.remove("unavailable");
  const chart = echarts.getInstanceByDom(element) ?? echarts.init(element, null, { renderer: "canvas" });
  chart.setOption(option, { notMerge: true });
  chart.resize();
  return true;
}

export async function clearChart(element) {
  const echarts = await chartsLibrary();
  echarts?.getInstanceByDom(element)?.dispose();
}

window.addEventListener("resize", async () => {
  const echarts = await chartsLibrary();
  if (echarts === null) return;
  for (const el of document.querySelectorAll(".chart")) echarts.getInstanceByDom(el)?.resize();
});
