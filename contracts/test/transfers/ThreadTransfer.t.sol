// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {stdError} from "forge-std/StdError.sol";
import {ChannelFixture} from "../utils/ChannelFixture.sol";
import {Balance, RegisteredTransfer} from "../../src/interfaces/Types.sol";
import {ThreadTransfer} from "../../src/transfers/ThreadTransfer.sol";

/// @notice The thread definition on its own: create rules, vouchers (EIP-712, payer only, this
/// thread, chain and deployment), payment capped at the lock, and the cancel.
/// @dev The leg under test is the node's (`alice`) to the payee: initiator alice, responder the
/// payee. The payer's leg resolves the same way (`test_resolve_bothLegsPayTheSame`).
contract ThreadTransferTest is ChannelFixture {
    uint256 internal constant START = 1_700_000_000;
    uint256 internal constant EXPIRY = START + 1 days;
    uint256 internal constant LOCK = 3 ether;
    bytes32 internal constant THREAD = keccak256("thread");
    /// @dev secp256k1 group order.
    uint256 internal constant N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant VOUCHER_TYPEHASH = keccak256("Voucher(bytes32 threadId,uint256 amount)");

    ThreadTransfer internal thread;
    address internal payer;
    uint256 internal payerKey;
    address internal payee;
    uint256 internal payeeKey;

    function setUp() public override {
        super.setUp();
        vm.warp(START);
        thread = new ThreadTransfer();
        (payer, payerKey) = makeAddrAndKey("payer");
        (payee, payeeKey) = makeAddrAndKey("payee");
    }

    // ---------------------------------------------------------------- helpers

    /// @dev The voucher digest computed here from the EIP-712 definitions, not by the contract.
    function digestOf(address definition, uint256 chainId, bytes32 threadId, uint256 amount)
        internal
        pure
        returns (bytes32)
    {
        bytes32 domainSeparator = keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256("ThreadTransfer"), keccak256("1"), chainId, definition)
        );
        bytes32 structHash = keccak256(abi.encode(VOUCHER_TYPEHASH, threadId, amount));
        return keccak256(abi.encodePacked("\x19\x01", domainSeparator, structHash));
    }

    /// @dev A voucher of `amount` on `threadId` signed with `key` for `thread` on this chain.
    function voucher(uint256 key, bytes32 threadId, uint256 amount) internal view returns (bytes memory) {
        return encResolver(amount, sign(key, digestOf(address(thread), block.chainid, threadId, amount)));
    }

    function encBalance(uint256 initiatorAmount, uint256 responderAmount) internal view returns (bytes memory) {
        return abi.encode(twoParty(payable(alice), payable(payee), initiatorAmount, responderAmount));
    }

    function threadState(address payer_, address payee_, bytes32 threadId, uint256 amount, uint256 expiry)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encode(
            ThreadTransfer.ThreadState({
                payer: payer_, payee: payee_, threadId: threadId, amount: amount, expiry: expiry
            })
        );
    }

    function encState(uint256 amount, uint256 expiry) internal view returns (bytes memory) {
        return threadState(payer, payee, THREAD, amount, expiry);
    }

    function encResolver(uint256 amount, bytes memory signature) internal pure returns (bytes memory) {
        return abi.encode(ThreadTransfer.ThreadResolver({amount: amount, signature: signature}));
    }

    function assertBalance(Balance memory b, uint256 initiatorAmount, uint256 responderAmount) internal view {
        assertEq(b.to[0], alice);
        assertEq(b.to[1], payee);
        assertEq(b.amount[0], initiatorAmount);
        assertEq(b.amount[1], responderAmount);
    }

    /// @dev Who ecrecover says signed `digest` with `signature` (65 bytes, r ‖ s ‖ v).
    function signerOf(bytes32 digest, bytes memory signature) internal pure returns (address) {
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            r := mload(add(signature, 0x20))
            s := mload(add(signature, 0x40))
            v := byte(0, mload(add(signature, 0x60)))
        }
        return ecrecover(digest, v, r, s);
    }

    // ---------------------------------------------------------------- voucher digest

    function test_voucherDigest_isEip712() public view {
        assertEq(thread.voucherDigest(THREAD, 1 ether), digestOf(address(thread), block.chainid, THREAD, 1 ether));
        assertEq(thread.voucherDigest(bytes32(0), 0), digestOf(address(thread), block.chainid, bytes32(0), 0));
    }

    function test_voucherDigest_domain() public view {
        (, string memory name, string memory version, uint256 chainId, address verifyingContract,,) =
            thread.eip712Domain();
        assertEq(name, "ThreadTransfer");
        assertEq(version, "1");
        assertEq(chainId, block.chainid);
        assertEq(verifyingContract, address(thread));
    }

    function test_voucherDigest_followsChainId() public {
        bytes32 here = thread.voucherDigest(THREAD, 1 ether);
        vm.chainId(block.chainid + 1);
        bytes32 there = thread.voucherDigest(THREAD, 1 ether);
        assertTrue(here != there);
        assertEq(there, digestOf(address(thread), block.chainid, THREAD, 1 ether));
    }

    // ---------------------------------------------------------------- create

    function test_create_acceptsValid() public view {
        assertTrue(thread.create(encBalance(1, 0), encState(1, START + 1)));
        assertTrue(thread.create(encBalance(LOCK, 0), encState(LOCK, EXPIRY)));
        assertTrue(
            thread.create(
                encBalance(type(uint256).max, 0),
                threadState(address(1), address(2), bytes32(uint256(1)), type(uint256).max, type(uint256).max)
            )
        );
    }

    function test_create_revertsOnZeroAmount() public {
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.InvalidInitialBalance.selector, 0, 0));
        thread.create(encBalance(0, 0), encState(0, EXPIRY));
    }

    function test_create_revertsOnResponderAmount() public {
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.InvalidInitialBalance.selector, LOCK, 1));
        thread.create(encBalance(LOCK, 1), encState(LOCK, EXPIRY));
    }

    function test_create_revertsOnLockMismatch() public {
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.LockMismatch.selector, LOCK + 1, LOCK));
        thread.create(encBalance(LOCK, 0), encState(LOCK + 1, EXPIRY));
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.LockMismatch.selector, LOCK - 1, LOCK));
        thread.create(encBalance(LOCK, 0), encState(LOCK - 1, EXPIRY));
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.LockMismatch.selector, 0, LOCK));
        thread.create(encBalance(LOCK, 0), encState(0, EXPIRY));
    }

    function test_create_revertsOnZeroPayer() public {
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.InvalidParties.selector, address(0), payee));
        thread.create(encBalance(LOCK, 0), threadState(address(0), payee, THREAD, LOCK, EXPIRY));
    }

    function test_create_revertsOnZeroPayee() public {
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.InvalidParties.selector, payer, address(0)));
        thread.create(encBalance(LOCK, 0), threadState(payer, address(0), THREAD, LOCK, EXPIRY));
    }

    function test_create_revertsWhenPayerIsPayee() public {
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.InvalidParties.selector, payer, payer));
        thread.create(encBalance(LOCK, 0), threadState(payer, payer, THREAD, LOCK, EXPIRY));
    }

    function test_create_revertsOnEmptyThreadId() public {
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.EmptyThreadId.selector));
        thread.create(encBalance(LOCK, 0), threadState(payer, payee, bytes32(0), LOCK, EXPIRY));
    }

    function test_create_revertsOnZeroExpiry() public {
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.TransferExpired.selector, 0, START));
        thread.create(encBalance(LOCK, 0), encState(LOCK, 0));
    }

    function test_create_revertsOnPastOrPresentExpiry() public {
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.TransferExpired.selector, START, START));
        thread.create(encBalance(LOCK, 0), encState(LOCK, START));
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.TransferExpired.selector, 1, START));
        thread.create(encBalance(LOCK, 0), encState(LOCK, 1));
    }

    function test_create_checksInOrder() public {
        // Every rule broken: the balance is reported first, then the lock, the parties, the id.
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.InvalidInitialBalance.selector, 0, 1));
        thread.create(encBalance(0, 1), threadState(address(0), address(0), bytes32(0), 5, 0));
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.LockMismatch.selector, 5, 1));
        thread.create(encBalance(1, 0), threadState(address(0), address(0), bytes32(0), 5, 0));
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.InvalidParties.selector, address(0), address(0)));
        thread.create(encBalance(1, 0), threadState(address(0), address(0), bytes32(0), 1, 0));
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.EmptyThreadId.selector));
        thread.create(encBalance(1, 0), threadState(payer, payee, bytes32(0), 1, 0));
    }

    function test_create_revertsOnMalformedEncoding() public {
        vm.expectRevert();
        thread.create(hex"1234", encState(LOCK, EXPIRY));
        vm.expectRevert();
        thread.create(encBalance(LOCK, 0), hex"1234");
    }

    // ---------------------------------------------------------------- resolve: vouchers

    function test_resolve_paysVoucherAmountAndReturnsRest() public view {
        Balance memory b =
            thread.resolve(encBalance(LOCK, 0), encState(LOCK, EXPIRY), voucher(payerKey, THREAD, 1 ether));
        assertBalance(b, LOCK - 1 ether, 1 ether);
    }

    function test_resolve_paysWholeLock() public view {
        Balance memory b = thread.resolve(encBalance(LOCK, 0), encState(LOCK, EXPIRY), voucher(payerKey, THREAD, LOCK));
        assertBalance(b, 0, LOCK);
    }

    function test_resolve_neverPaysMoreThanLock() public view {
        Balance memory b =
            thread.resolve(encBalance(LOCK, 0), encState(LOCK, EXPIRY), voucher(payerKey, THREAD, LOCK + 1));
        assertBalance(b, 0, LOCK);
        b = thread.resolve(encBalance(LOCK, 0), encState(LOCK, EXPIRY), voucher(payerKey, THREAD, type(uint256).max));
        assertBalance(b, 0, LOCK);
    }

    function test_resolve_signedZeroVoucherPaysNothing() public view {
        Balance memory b = thread.resolve(encBalance(LOCK, 0), encState(LOCK, EXPIRY), voucher(payerKey, THREAD, 0));
        assertBalance(b, LOCK, 0);
    }

    function test_resolve_latestVoucherCounts() public view {
        // Vouchers are cumulative: whichever one resolves is what the responder gets.
        bytes memory state = encState(LOCK, EXPIRY);
        assertBalance(
            thread.resolve(encBalance(LOCK, 0), state, voucher(payerKey, THREAD, 0.1 ether)),
            LOCK - 0.1 ether,
            0.1 ether
        );
        assertBalance(
            thread.resolve(encBalance(LOCK, 0), state, voucher(payerKey, THREAD, 0.3 ether)),
            LOCK - 0.3 ether,
            0.3 ether
        );
    }

    function test_resolve_bothLegsPayTheSame() public view {
        bytes memory state = encState(LOCK, EXPIRY);
        bytes memory resolver = voucher(payerKey, THREAD, 2 ether);
        // The payer's leg: the payer locked with the node.
        Balance memory first =
            thread.resolve(abi.encode(twoParty(payable(payer), payable(alice), LOCK, 0)), state, resolver);
        assertEq(first.to[0], payer);
        assertEq(first.to[1], alice);
        assertEq(first.amount[0], LOCK - 2 ether);
        assertEq(first.amount[1], 2 ether);
        // The node's leg: the node locked with the payee.
        assertBalance(thread.resolve(encBalance(LOCK, 0), state, resolver), LOCK - 2 ether, 2 ether);
    }

    function test_resolve_usesCheckedMath() public {
        bytes memory resolver = voucher(payerKey, THREAD, 1);
        vm.expectRevert(stdError.arithmeticError);
        thread.resolve(encBalance(1, type(uint256).max), encState(1, EXPIRY), resolver);
    }

    function test_resolve_revertsAfterExpiry() public {
        bytes memory state = encState(LOCK, EXPIRY);
        bytes memory resolver = voucher(payerKey, THREAD, 1 ether);
        vm.warp(EXPIRY - 1);
        assertBalance(thread.resolve(encBalance(LOCK, 0), state, resolver), LOCK - 1 ether, 1 ether);
        vm.warp(EXPIRY);
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.TransferExpired.selector, EXPIRY, EXPIRY));
        thread.resolve(encBalance(LOCK, 0), state, resolver);
        vm.warp(EXPIRY + 10 days);
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.TransferExpired.selector, EXPIRY, EXPIRY + 10 days));
        thread.resolve(encBalance(LOCK, 0), state, resolver);
    }

    function test_resolve_revertsOnZeroExpiry() public {
        bytes memory resolver = voucher(payerKey, THREAD, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.TransferExpired.selector, 0, START));
        thread.resolve(encBalance(LOCK, 0), encState(LOCK, 0), resolver);
    }

    function test_resolve_revertsWhenPayeeSigns() public {
        bytes memory resolver = voucher(payeeKey, THREAD, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.InvalidVoucherSigner.selector, payer, payee));
        thread.resolve(encBalance(LOCK, 0), encState(LOCK, EXPIRY), resolver);
    }

    function test_resolve_revertsWhenNodeSigns() public {
        bytes memory resolver = voucher(aliceKey, THREAD, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.InvalidVoucherSigner.selector, payer, alice));
        thread.resolve(encBalance(LOCK, 0), encState(LOCK, EXPIRY), resolver);
    }

    function test_resolve_revertsOnRaisedAmount() public {
        // A voucher for 1 ether presented as one for 2 ether recovers someone else.
        bytes memory signature = sign(payerKey, thread.voucherDigest(THREAD, 1 ether));
        address recovered = signerOf(thread.voucherDigest(THREAD, 2 ether), signature);
        assertTrue(recovered != payer);
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.InvalidVoucherSigner.selector, payer, recovered));
        thread.resolve(encBalance(LOCK, 0), encState(LOCK, EXPIRY), encResolver(2 ether, signature));
    }

    function test_resolve_revertsOnVoucherForAnotherThread() public {
        bytes32 other = keccak256("other thread");
        bytes memory signature = sign(payerKey, thread.voucherDigest(other, 1 ether));
        address recovered = signerOf(thread.voucherDigest(THREAD, 1 ether), signature);
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.InvalidVoucherSigner.selector, payer, recovered));
        thread.resolve(encBalance(LOCK, 0), encState(LOCK, EXPIRY), encResolver(1 ether, signature));
        // It pays in its own thread.
        assertBalance(
            thread.resolve(
                encBalance(LOCK, 0), threadState(payer, payee, other, LOCK, EXPIRY), encResolver(1 ether, signature)
            ),
            LOCK - 1 ether,
            1 ether
        );
    }

    function test_resolve_revertsOnVoucherForAnotherChain() public {
        uint256 home = block.chainid;
        bytes memory signature = sign(payerKey, digestOf(address(thread), home + 1, THREAD, 1 ether));
        address recovered = signerOf(thread.voucherDigest(THREAD, 1 ether), signature);
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.InvalidVoucherSigner.selector, payer, recovered));
        thread.resolve(encBalance(LOCK, 0), encState(LOCK, EXPIRY), encResolver(1 ether, signature));
        // It pays on its own chain.
        vm.chainId(home + 1);
        assertBalance(
            thread.resolve(encBalance(LOCK, 0), encState(LOCK, EXPIRY), encResolver(1 ether, signature)),
            LOCK - 1 ether,
            1 ether
        );
    }

    function test_resolve_revertsOnVoucherForAnotherDeployment() public {
        ThreadTransfer other = new ThreadTransfer();
        bytes memory signature = sign(payerKey, other.voucherDigest(THREAD, 1 ether));
        address recovered = signerOf(thread.voucherDigest(THREAD, 1 ether), signature);
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.InvalidVoucherSigner.selector, payer, recovered));
        thread.resolve(encBalance(LOCK, 0), encState(LOCK, EXPIRY), encResolver(1 ether, signature));
        Balance memory b = other.resolve(encBalance(LOCK, 0), encState(LOCK, EXPIRY), encResolver(1 ether, signature));
        assertBalance(b, LOCK - 1 ether, 1 ether);
    }

    function test_resolve_revertsOnMalformedSignatureLength() public {
        bytes memory good = sign(payerKey, thread.voucherDigest(THREAD, 1 ether));
        bytes memory state = encState(LOCK, EXPIRY);
        // ERC-2098 short form (64 bytes), one byte short, one byte long, a single byte.
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(payerKey, thread.voucherDigest(THREAD, 1 ether));
        bytes32 vs = bytes32(uint256(v - 27) << 255 | uint256(s));
        bytes[4] memory bad =
            [abi.encodePacked(r, vs), abi.encodePacked(r, s), abi.encodePacked(good, uint8(0)), hex"01"];
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.InvalidVoucherSignature.selector));
            thread.resolve(encBalance(LOCK, 0), state, encResolver(1 ether, bad[i]));
        }
    }

    function test_resolve_revertsOnHighS() public {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(payerKey, thread.voucherDigest(THREAD, 1 ether));
        // The same signature's other form (n - s, flipped v) recovers the payer with ecrecover.
        bytes memory malleable = abi.encodePacked(r, bytes32(N - uint256(s)), v == 27 ? uint8(28) : uint8(27));
        assertEq(signerOf(thread.voucherDigest(THREAD, 1 ether), malleable), payer);
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.InvalidVoucherSignature.selector));
        thread.resolve(encBalance(LOCK, 0), encState(LOCK, EXPIRY), encResolver(1 ether, malleable));
    }

    function test_resolve_revertsOnBadV() public {
        (, bytes32 r, bytes32 s) = vm.sign(payerKey, thread.voucherDigest(THREAD, 1 ether));
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.InvalidVoucherSignature.selector));
        thread.resolve(
            encBalance(LOCK, 0), encState(LOCK, EXPIRY), encResolver(1 ether, abi.encodePacked(r, s, uint8(29)))
        );
        // Zero r and s recover nobody.
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.InvalidVoucherSignature.selector));
        thread.resolve(encBalance(LOCK, 0), encState(LOCK, EXPIRY), encResolver(1 ether, new bytes(65)));
    }

    // ---------------------------------------------------------------- resolve: cancel

    function test_resolve_emptySignatureCancels() public view {
        assertBalance(thread.resolve(encBalance(LOCK, 0), encState(LOCK, EXPIRY), encResolver(0, "")), LOCK, 0);
    }

    function test_resolve_cancelsAfterExpiry() public {
        bytes memory state = encState(LOCK, EXPIRY);
        vm.warp(EXPIRY + 10 days);
        assertBalance(thread.resolve(encBalance(LOCK, 0), state, encResolver(0, "")), LOCK, 0);
        // Even a state with no expiry at all.
        assertBalance(thread.resolve(encBalance(LOCK, 0), encState(LOCK, 0), encResolver(0, "")), LOCK, 0);
    }

    function test_resolve_revertsOnCancelWithAmount() public {
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.InvalidCancel.selector, 1));
        thread.resolve(encBalance(LOCK, 0), encState(LOCK, EXPIRY), encResolver(1, ""));
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.InvalidCancel.selector, type(uint256).max));
        thread.resolve(encBalance(LOCK, 0), encState(LOCK, EXPIRY), encResolver(type(uint256).max, ""));
    }

    function test_resolve_cancelUsesRegistryEncodedCancel() public view {
        bytes memory cancel = thread.getRegistryInformation().encodedCancel;
        assertBalance(thread.resolve(encBalance(7, 0), encState(7, EXPIRY), cancel), 7, 0);
    }

    // ---------------------------------------------------------------- registry information

    function test_getRegistryInformation() public view {
        RegisteredTransfer memory info = thread.getRegistryInformation();
        assertEq(info.name, "ThreadTransfer");
        assertEq(info.definition, address(thread));
        assertEq(
            info.stateEncoding, "tuple(address payer, address payee, bytes32 threadId, uint256 amount, uint256 expiry)"
        );
        assertEq(info.resolverEncoding, "tuple(uint256 amount, bytes signature)");
        assertEq(info.encodedCancel, abi.encode(ThreadTransfer.ThreadResolver({amount: 0, signature: ""})));
    }

    function test_getRegistryInformation_registers() public {
        RegisteredTransfer memory info = thread.getRegistryInformation();
        vm.prank(owner);
        registry.addTransferDefinition(info);
        assertTrue(registry.isRegistered(address(thread)));
    }

    // ---------------------------------------------------------------- fuzz

    function testFuzz_thread_create(uint256 amount, address payer_, address payee_, bytes32 threadId, uint256 expiry)
        public
    {
        bool partiesOk = payer_ != address(0) && payee_ != address(0) && payer_ != payee_;
        bool valid = amount != 0 && partiesOk && threadId != bytes32(0) && expiry > START;
        if (amount == 0) {
            vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.InvalidInitialBalance.selector, 0, 0));
        } else if (!partiesOk) {
            vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.InvalidParties.selector, payer_, payee_));
        } else if (threadId == bytes32(0)) {
            vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.EmptyThreadId.selector));
        } else if (!valid) {
            vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.TransferExpired.selector, expiry, START));
        }
        bool ok = thread.create(encBalance(amount, 0), threadState(payer_, payee_, threadId, amount, expiry));
        if (valid) assertTrue(ok);
    }

    function testFuzz_thread_create_rejectsLockMismatch(uint256 lock, uint256 stateAmount) public {
        lock = bound(lock, 1, type(uint256).max);
        vm.assume(stateAmount != lock);
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.LockMismatch.selector, stateAmount, lock));
        thread.create(encBalance(lock, 0), encState(stateAmount, EXPIRY));
    }

    function testFuzz_thread_create_rejectsResponderAmount(uint256 amount, uint256 responderAmount) public {
        responderAmount = bound(responderAmount, 1, type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.InvalidInitialBalance.selector, amount, responderAmount));
        thread.create(encBalance(amount, responderAmount), encState(amount, EXPIRY));
    }

    /// Any voucher amount against any lock pays min(amount, lock) and conserves the total.
    function testFuzz_thread_resolve_paysMinAndConserves(
        uint256 amount,
        uint256 lock,
        uint256 responderAmount,
        uint256 elapsed
    ) public {
        lock = bound(lock, 1, type(uint256).max);
        responderAmount = bound(responderAmount, 0, type(uint256).max - lock);
        vm.warp(START + bound(elapsed, 0, EXPIRY - START - 1));
        bytes memory state = encState(lock, EXPIRY);
        assertTrue(thread.create(encBalance(lock, 0), state));
        Balance memory b = thread.resolve(encBalance(lock, responderAmount), state, voucher(payerKey, THREAD, amount));
        uint256 paid = amount < lock ? amount : lock;
        assertBalance(b, lock - paid, responderAmount + paid);
        assertEq(b.amount[0] + b.amount[1], lock + responderAmount, "conserved");
    }

    function testFuzz_thread_resolve_refusesOtherThread(bytes32 signedFor, bytes32 threadId, uint256 amount) public {
        vm.assume(signedFor != threadId && threadId != bytes32(0));
        bytes memory signature = sign(payerKey, thread.voucherDigest(signedFor, amount));
        address recovered = signerOf(thread.voucherDigest(threadId, amount), signature);
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.InvalidVoucherSigner.selector, payer, recovered));
        thread.resolve(
            encBalance(LOCK, 0), threadState(payer, payee, threadId, LOCK, EXPIRY), encResolver(amount, signature)
        );
    }

    function testFuzz_thread_resolve_refusesOtherChain(uint64 signedOn, uint64 resolvedOn, uint256 amount) public {
        vm.assume(signedOn != resolvedOn);
        bytes memory signature = sign(payerKey, digestOf(address(thread), signedOn, THREAD, amount));
        vm.chainId(resolvedOn);
        address recovered = signerOf(thread.voucherDigest(THREAD, amount), signature);
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.InvalidVoucherSigner.selector, payer, recovered));
        thread.resolve(encBalance(LOCK, 0), encState(LOCK, EXPIRY), encResolver(amount, signature));
    }

    function testFuzz_thread_resolve_refusesOtherDeployment(address signedFor, uint256 amount) public {
        vm.assume(signedFor != address(thread));
        bytes memory signature = sign(payerKey, digestOf(signedFor, block.chainid, THREAD, amount));
        address recovered = signerOf(thread.voucherDigest(THREAD, amount), signature);
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.InvalidVoucherSigner.selector, payer, recovered));
        thread.resolve(encBalance(LOCK, 0), encState(LOCK, EXPIRY), encResolver(amount, signature));
    }

    function testFuzz_thread_resolve_refusesOtherSigner(uint256 key, uint256 amount) public {
        key = bound(key, 1, N - 1);
        vm.assume(key != payerKey);
        bytes memory resolver = voucher(key, THREAD, amount);
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.InvalidVoucherSigner.selector, payer, vm.addr(key)));
        thread.resolve(encBalance(LOCK, 0), encState(LOCK, EXPIRY), resolver);
    }

    function testFuzz_thread_resolve_expired(uint256 expiry, uint256 nowTs, uint256 amount) public {
        expiry = bound(expiry, 0, type(uint128).max);
        nowTs = bound(nowTs, expiry, type(uint128).max);
        vm.warp(nowTs);
        bytes memory resolver = voucher(payerKey, THREAD, amount);
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.TransferExpired.selector, expiry, nowTs));
        thread.resolve(encBalance(LOCK, 0), encState(LOCK, expiry), resolver);
    }

    function testFuzz_thread_cancel(uint256 lock, uint256 expiry, uint256 nowTs) public {
        vm.warp(bound(nowTs, 0, type(uint128).max));
        Balance memory b = thread.resolve(encBalance(lock, 0), encState(lock, expiry), encResolver(0, ""));
        assertBalance(b, lock, 0);
    }

    function testFuzz_thread_cancel_rejectsAmount(uint256 amount) public {
        amount = bound(amount, 1, type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(ThreadTransfer.InvalidCancel.selector, amount));
        thread.resolve(encBalance(LOCK, 0), encState(LOCK, EXPIRY), encResolver(amount, ""));
    }
}
