// Labels in Chinese and English; the choice is kept in localStorage (it is not a secret).
const LABELS = {
  zh: {
    title: "kefu 控制台", language: "English", signOut: "退出",
    "tab.reports": "报表", "tab.wallboard": "实时监控", "tab.audit": "审计",
    "signIn.title": "登录", "signIn.token": "访问令牌 (Bearer token)", "signIn.submit": "登录",
    "signIn.hint": "令牌只保存在本浏览器标签页的会话中。", "signIn.bad": "令牌无效",
    "report.name": "报表", "report.from": "开始日期", "report.to": "结束日期（不含）",
    "report.period": "周期", "report.group": "分组", "report.metric": "图表指标",
    "report.show": "查询", "report.csv": "下载 CSV", "report.chart": "报表图表",
    "report.none": "（不分组）", "report.noChart": "此报表每行一个案件，没有图表。",
    "report.rows": "行", "charts.unavailable": "图表不可用：未安装图表库（npm ci --prefix kefu/console）。表格照常显示。",
    "reports.satisfaction": "满意度", "reports.tickets": "工单处理", "reports.calls": "话务",
    "reports.agents": "人工坐席", "reports.complaints": "投诉", "reports.visits": "回访",
    "reports.ledger": "服务台账", "reports.sla": "服务时限达成", "reports.messages": "短信发送统计", "reports.appraisal": "绩效考核",
    "period.day": "日", "period.week": "周", "period.month": "月",
    "wb.queues": "排队", "wb.agents": "坐席状态", "wb.live": "实时更新 · 最后更新", "wb.polling": "每 5 秒刷新 · 最后更新",
    "wb.queue": "队列", "wb.waiting": "排队数", "wb.longest": "最长等待",
    "wb.agent": "坐席", "wb.extension": "分机", "wb.state": "状态", "wb.inState": "持续时间",
    "wb.sl": "今日服务水平", "wb.abandon": "今日放弃率", "wb.offered": "今日来电",
    "wb.ticketsOverdue": "逾期工单", "wb.ticketsAtRisk": "即将逾期工单",
    "wb.complaintsOverdue": "逾期投诉", "wb.complaintsAtRisk": "即将逾期投诉", "wb.callsWaiting": "排队来电",
    "state.available": "空闲", "state.ringing": "振铃", "state.busy": "通话中", "state.wrap_up": "话后处理",
    "state.on_break": "小休", "state.not_ready": "未就绪",
    "audit.record": "记录编号", "audit.open": "查看历史", "audit.verify": "校验哈希链",
    "audit.actor": "操作人", "audit.trail": "查看操作记录", "audit.previous": "上一版本",
    "audit.next": "下一版本", "audit.version": "版本", "audit.at": "某一时刻", "audit.showAt": "查看当时状态",
    "audit.diffFrom": "对比：从版本", "audit.diffTo": "到版本", "audit.diff": "对比",
    "audit.time": "时间", "audit.type": "事件", "audit.who": "操作人", "audit.role": "角色",
    "audit.command": "命令", "audit.correlation": "关联编号", "audit.field": "字段",
    "audit.before": "之前", "audit.after": "之后", "audit.stateOf": "版本 {v} 的状态（{t}）",
    "audit.ok": "哈希链校验通过：检查了 {n} 个事件，日志头 {head}",
    "audit.failed": "哈希链校验失败：{n} 处问题", "audit.running": "正在校验……",
    "audit.stream": "记录", "audit.noChange": "两个版本之间没有变化",
    "error": "出错了",
  },
  en: {
    title: "kefu console", language: "中文", signOut: "Sign out",
    "tab.reports": "Reports", "tab.wallboard": "Wallboard", "tab.audit": "Audit",
    "signIn.title": "Sign in", "signIn.token": "Access token (Bearer token)", "signIn.submit": "Sign in",
    "signIn.hint": "The token is kept only in this browser tab's session.", "signIn.bad": "The token was refused",
    "report.name": "Report", "report.from": "From", "report.to": "To (exclusive)",
    "report.period": "Period", "report.group": "Group by", "report.metric": "Chart metric",
    "report.show": "Show", "report.csv": "Download CSV", "report.chart": "Report chart",
    "report.none": "(no grouping)", "report.noChart": "This report has one row per case and no chart.",
    "report.rows": "rows", "charts.unavailable": "Charts are unavailable: the charting library is not installed (npm ci --prefix kefu/console). The tables still work.",
    "reports.satisfaction": "Satisfaction", "reports.tickets": "Tickets", "reports.calls": "Calls",
    "reports.agents": "Agents", "reports.complaints": "Complaints", "reports.visits": "Return visits",
    "reports.ledger": "Service ledger", "reports.sla": "SLA compliance", "reports.messages": "Messages sent", "reports.appraisal": "Appraisal (KPI)",
    "period.day": "Day", "period.week": "Week", "period.month": "Month",
    "wb.queues": "Queues", "wb.agents": "Agents", "wb.live": "Live · last update", "wb.polling": "Refreshed every 5 s · last update",
    "wb.queue": "Queue", "wb.waiting": "Waiting", "wb.longest": "Longest wait",
    "wb.agent": "Agent", "wb.extension": "Extension", "wb.state": "State", "wb.inState": "Time in state",
    "wb.sl": "Service level today", "wb.abandon": "Abandon rate today", "wb.offered": "Calls today",
    "wb.ticketsOverdue": "Tickets overdue", "wb.ticketsAtRisk": "Tickets at risk",
    "wb.complaintsOverdue": "Complaints overdue", "wb.complaintsAtRisk": "Complaints at risk", "wb.callsWaiting": "Calls waiting",
    "state.available": "Available", "state.ringing": "Ringing", "state.busy": "On a call", "state.wrap_up": "Wrap-up",
    "state.on_break": "On break", "state.not_ready": "Not ready",
    "audit.record": "Record id", "audit.open": "Show history", "audit.verify": "Verify the hash chain",
    "audit.actor": "Actor", "audit.trail": "Show what they did", "audit.previous": "Previous version",
    "audit.next": "Next version", "audit.version": "Version", "audit.at": "At a moment", "audit.showAt": "Show the state then",
    "audit.diffFrom": "Compare: from version", "audit.diffTo": "to version", "audit.diff": "Compare",
    "audit.time": "Time", "audit.type": "Event", "audit.who": "Who", "audit.role": "Role",
    "audit.command": "Command", "audit.correlation": "Correlation", "audit.field": "Field",
    "audit.before": "Before", "audit.after": "After", "audit.stateOf": "State at version {v} ({t})",
    "audit.ok": "The hash chain verifies: {n} events checked, head {head}",
    "audit.failed": "The hash chain does NOT verify: {n} finding(s)", "audit.running": "Verifying…",
    "audit.stream": "Record", "audit.noChange": "Nothing changed between these versions",
    "error": "Error",
  },
};

let language = localStorage.getItem("kefu-language") ||
  (navigator.language.toLowerCase().startsWith("zh") ? "zh" : "en");

export function t(key, values = {}) {
  const text = LABELS[language][key] ?? LABELS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

export function applyLabels(root = document) {
  document.documentElement.lang = language === "zh" ? "zh-CN" : "en";
  document.title = t("title");
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
}

export function toggleLanguage() {
  language = language === "zh" ? "en" : "zh";
  localStorage.setItem("kefu-language", language);
  applyLabels();
}

export function currentLanguage() {
  return language;
}
