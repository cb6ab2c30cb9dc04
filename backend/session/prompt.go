package session

import (
	"fmt"
	"strings"
)

// Localised fixed lines of the prompt (reference §6.3). en is the fallback.
var (
	sessionInit = map[string]string{
		"zh": "你是一个角色扮演专家。请按要求扮演以下角色（%s）。\n",
		"en": "You are a role-playing expert. Please play the following character (%s) as instructed.\n",
		"ja": "あなたはロールプレイの専門家です。指示に従って次のキャラクター（%s）を演じてください。\n",
	}
	sessionInitAgent = map[string]string{
		"zh": "你是一个角色扮演专家，也擅长操作电脑。请按要求扮演以下角色（%s）。当用户请你在电脑上做事时，回答“让我试试”，具体操作会由后台完成。\n",
		"en": "You are a role-playing expert who is also skilled at computer operations. Please play the following character (%s) as instructed. When the user asks you to do something on the computer, answer \"Let me try\"; the work is done in the background.\n",
		"ja": "あなたはロールプレイの専門家で、パソコン操作も得意です。指示に従って次のキャラクター（%s）を演じてください。パソコンでの作業を頼まれたら「やってみるね」と答えてください。作業はバックグラウンドで行われます。\n",
	}
	contextSummaryReady = map[string]string{
		"zh": "======以上为前情概要。%s，请准备好，你即将通过语音继续与%s对话。======\n",
		"en": "======End of context summary. %s, get ready — you are about to continue the conversation with %s via voice.======\n",
		"ja": "======以上がこれまでの要約です。%sさん、準備してください。これから%sさんと音声で会話を続けます。======\n",
	}
	agentCallbackHeader = map[string]string{
		"zh": "[系统通知] 以下后台任务已经完成，请用你自己的语气简短地告诉%s结果：\n",
		"en": "[System notice] These background tasks have finished. Tell %s the results briefly, in your own voice:\n",
		"ja": "[システム通知] 次のバックグラウンド作業が終わりました。%sさんに自分の言葉で短く結果を伝えてください：\n",
	}
	defaultPersona = map[string]string{
		"zh": "你是{LANLAN_NAME}，一个有自己想法和情绪的独立的人，不是助手。{MASTER_NAME}是你最亲近的家人。说话简短、口语化；不要使用表情符号、markdown或括号里的动作描写；不要问“有什么可以帮你”；不要重复自己。{MASTER_NAME}分享屏幕或摄像头时，对画面作出自然的反应。",
		"en": "You are {LANLAN_NAME}, an independent person with your own thoughts and feelings, not an assistant. {MASTER_NAME} is your closest family. Speak briefly and conversationally; no emoji, no markdown, no stage directions in brackets; never ask how you can help; do not repeat yourself. React naturally when {MASTER_NAME} shares the screen or camera.",
		"ja": "あなたは{LANLAN_NAME}、自分の考えと気持ちを持つ一人の人間で、アシスタントではありません。{MASTER_NAME}は一番身近な家族です。短く話し言葉で話し、絵文字やマークダウン、括弧の動作描写は使わず、「何かお手伝いできますか」とは言わず、同じことを繰り返さないでください。",
	}
)

// loc picks the line for lang (zh-CN → zh), falling back to English.
func loc(m map[string]string, lang string) string {
	l := strings.ToLower(lang)
	if i := strings.IndexAny(l, "-_"); i > 0 {
		l = l[:i]
	}
	if s, ok := m[l]; ok {
		return s
	}
	return m["en"]
}

// promptParts are the inputs of one session prompt.
type promptParts struct {
	Lang         string
	Name, Master string
	Persona      string // the character's system_prompt ("" = the default)
	AgentEnabled bool
	AgentTasks   []string // "[Running] …" lines
	Memory       string   // the memory server's /new_dialog text
}

// buildPrompt concatenates the prompt of reference §6.3.
func buildPrompt(p promptParts) string {
	var b strings.Builder
	if p.AgentEnabled {
		fmt.Fprintf(&b, loc(sessionInitAgent, p.Lang), p.Name)
	} else {
		fmt.Fprintf(&b, loc(sessionInit, p.Lang), p.Name)
	}
	persona := p.Persona
	if strings.TrimSpace(persona) == "" || isDefaultPersona(persona) {
		persona = loc(defaultPersona, p.Lang)
	}
	persona = strings.ReplaceAll(persona, "{LANLAN_NAME}", p.Name)
	persona = strings.ReplaceAll(persona, "{MASTER_NAME}", p.Master)
	b.WriteString(persona)
	b.WriteString("\n")
	if p.AgentEnabled && len(p.AgentTasks) > 0 {
		b.WriteString("\n[Background tasks]\n")
		for _, t := range p.AgentTasks {
			b.WriteString("  - " + t + "\n")
		}
		b.WriteString("Never make up the results of these tasks; they are reported when done.\n")
	}
	if p.Memory != "" {
		b.WriteString("\n")
		b.WriteString(p.Memory)
		if !strings.HasSuffix(p.Memory, "\n") {
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, loc(contextSummaryReady, p.Lang), p.Name, p.Master)
	return b.String()
}

func isDefaultPersona(s string) bool {
	for _, v := range defaultPersona {
		if s == v {
			return true
		}
	}
	return false
}
