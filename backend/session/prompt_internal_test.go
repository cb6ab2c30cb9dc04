package session

import (
	"strings"
	"testing"
)

func TestBuildPrompt(t *testing.T) {
	p := buildPrompt(promptParts{Lang: "zh-CN", Name: "小天", Master: "哥哥", Persona: "你是{LANLAN_NAME}，{MASTER_NAME}的猫娘。",
		AgentEnabled: true, AgentTasks: []string{"[Running] open the weather site"}, Memory: "先前对话的备忘录: 喜欢茶"})
	for _, want := range []string{"也擅长操作电脑", "你是小天，哥哥的猫娘。", "[Running] open the weather site", "Never make up",
		"先前对话的备忘录: 喜欢茶", "======以上为前情概要。小天"} {
		if !strings.Contains(p, want) {
			t.Errorf("prompt lacks %q:\n%s", want, p)
		}
	}
	// Order: init, persona, tasks, memory, ready line.
	if !(strings.Index(p, "猫娘。") < strings.Index(p, "[Running]") && strings.Index(p, "[Running]") < strings.Index(p, "备忘录")) {
		t.Errorf("sections out of order:\n%s", p)
	}
	en := buildPrompt(promptParts{Lang: "fr", Name: "Aria", Master: "Sam"})
	if !strings.Contains(en, "You are Aria, an independent person") || !strings.Contains(en, "continue the conversation with Sam") {
		t.Errorf("English fallback and default persona:\n%s", en)
	}
	ja := buildPrompt(promptParts{Lang: "ja", Name: "ミク", Master: "兄"})
	if !strings.Contains(ja, "ロールプレイ") || strings.Contains(ja, "Never make up") {
		t.Errorf("Japanese prompt:\n%s", ja)
	}
}
