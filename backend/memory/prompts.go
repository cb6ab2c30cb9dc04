package memory

// Prompt and context texts. The /new_dialog fragments keep the original's
// wording because the session prompt is built around them (reference §6.3).

func loc(m map[string]string, lang string) string {
	if s, ok := m[lang]; ok {
		return s
	}
	return m["en"]
}

var innerThoughtsHeader = map[string]string{
	"zh": "\n======以下是{name}的内心活动======\n",
	"en": "\n======{name}'s Inner Thoughts======\n",
	"ja": "\n======{name}の心の声======\n",
}

var innerThoughtsBody = map[string]string{
	"zh": "{name}的脑海里经常想着自己和{master}的事情，她记得{settings}\n\n现在时间是{time}。开始聊天前，{name}又在脑海内整理了近期发生的事情。\n",
	"en": "{name} often thinks about herself and {master}. She remembers: {settings}\n\nThe current time is {time}. Before the conversation begins, {name} is mentally reviewing recent events.\n",
	"ja": "{name}はいつも自分と{master}のことを考えています。彼女が覚えていること：{settings}\n\n現在の時刻は{time}です。会話を始める前に、{name}は最近の出来事を頭の中で整理しています。\n",
}

var recentHistoryIntro = map[string]string{
	"zh": "开始聊天前，{name}又在脑海内整理了近期发生的事情。\n",
	"en": "Before the conversation begins, {name} sorts out recent events in her mind.\n",
	"ja": "会話を始める前に、{name}は最近の出来事を頭の中で整理しています。\n",
}

var memoryRecallHeader = map[string]string{
	"zh": "======{name}尝试回忆=====\n",
	"en": "======{name} tries to recall=====\n",
	"ja": "======{name}は思い出そうとしている=====\n",
}

var memoryResultsHeader = map[string]string{
	"zh": "\n====={name}的相关记忆=====\n",
	"en": "\n====={name}'s related memories=====\n",
	"ja": "\n====={name}の関連する記憶=====\n",
}

var noMemoryFound = map[string]string{
	"zh": "（没有找到相关的记忆）\n",
	"en": "(no related memory found)\n",
	"ja": "（関連する記憶は見つかりませんでした）\n",
}

// summaryPrompt asks for the JSON the original's parser expects.
const summaryPromptConcise = `请总结以下对话的要点，保留人物、事实、约定、情绪与时间等关键信息，删去寒暄与重复内容。对话中，{master}是用户，{name}是角色。
请只返回JSON：{"对话摘要": "<摘要，不超过{limit}字>"}

======对话======
{history}`

const summaryPromptDetailed = `请详细总结以下对话，按时间顺序保留人物、事实、偏好、约定、未完成的话题、情绪变化与时间等信息，删去寒暄与重复内容。对话中，{master}是用户，{name}是角色。
请只返回JSON：{"对话摘要": "<摘要，不超过{limit}字>"}

======对话======
{history}`

const furtherSummarizePrompt = `以下是一段对话摘要，请在不丢失关键事实（人物、事实、偏好、约定、时间）的前提下压缩到{limit}字以内。
请只返回JSON：{"对话摘要": "<摘要>"}

======摘要======
{history}`

const reviewPrompt = `你是对话记录的校对员。下面是{name}（角色）与{master}（用户）最近的对话记录，每行格式为"说话人: 内容"，SYSTEM_MESSAGE 是之前对话的备忘录。
请修正以下问题：
1. 前后矛盾的内容；
2. 冗余、重复的内容；
3. 鹦鹉学舌、过度重复用户原话或反复使用同一词语（可用代词替换）；
4. 人称指代错误，或凭空多出来的对话轮次；
5. 角色自称是AI、大语言模型等出戏内容。
优先删除而不是改写；保留 SYSTEM_MESSAGE 备忘录；保留消息开头的时间戳。
请只返回JSON：{"修正说明": "<说明>", "修正后的对话": [{"role": "SYSTEM_MESSAGE|{master}|{name}", "content": "<内容>"}]}

======对话记录======
{history}`
