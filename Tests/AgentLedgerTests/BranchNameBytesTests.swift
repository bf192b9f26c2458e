import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Testing

/// Branch names are compared byte for byte, as the store keeps them: "café" composed (NFC) and
/// "cafe\u{301}" decomposed (NFD), equal to Swift's `==`, are two branches.
@Suite("Branch names: two spellings of one name are two branches")
struct BranchNameBytesTests {
    static let composed = "caf\u{E9}"
    static let decomposed = "cafe\u{301}"

    @Test("switching between them switches, adds go to the one switched to, one is current, delete tells them apart")
    func twoSpellings() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open()
        let session = ledger.session("s")
        try await session.addItems([ItemFactory.user("q1")])
        try await session.createBranch(fromTurn: 1, named: Self.composed)
        try await session.switchToBranch("main")
        try await session.createBranch(fromTurn: 1, named: Self.decomposed)
        #expect(try await session.currentBranch().utf8.elementsEqual(Self.decomposed.utf8))

        try await session.switchToBranch(Self.composed)
        #expect(try await session.currentBranch().utf8.elementsEqual(Self.composed.utf8))
        try await session.addItems([ItemFactory.user("on composed")])
        #expect(try await session.items(branch: Self.composed).map(\.json) == [ItemFactory.user("on composed").json])
        #expect(try await session.items(branch: Self.decomposed).isEmpty)

        let current = try await session.listBranches().filter(\.isCurrent).map(\.name)
        #expect(current.count == 1 && current[0].utf8.elementsEqual(Self.composed.utf8))
        // The other spelling is not the current branch: deleting it needs no force.
        try await session.deleteBranch(Self.decomposed, force: false)
        #expect(try await session.currentBranch().utf8.elementsEqual(Self.composed.utf8))
        try await ledger.close()
    }
}
