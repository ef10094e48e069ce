// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ChannelTestBase} from "./ChannelTestBase.sol";
import {IChannelErrors} from "../../src/interfaces/IChannelErrors.sol";
import {IChannelMastercopy} from "../../src/interfaces/IChannelMastercopy.sol";
import {WithdrawData} from "../../src/interfaces/Types.sol";

/// @notice Every way a withdrawal's signatures can be wrong; each must revert and pay nothing.
contract CMCWithdrawSignaturesTest is ChannelTestBase {
    address internal carol = makeAddr("carol");
    WithdrawData internal wd;
    bytes internal aliceSig;
    bytes internal bobSig;

    function setUp() public override {
        super.setUp();
        depositAlice(ETH, 5 ether);
        depositBob(ETH, 5 ether);
        wd = withdrawData(ETH, carol, 1 ether, 1);
        aliceSig = signWithdraw(aliceKey, wd);
        bobSig = signWithdraw(bobKey, wd);
    }

    /// @dev Submits `wd` with the given signatures, expects `InvalidSignature(expected)` and
    /// checks that nothing was paid or recorded.
    function expectRejected(WithdrawData memory data, bytes memory sigA, bytes memory sigB, address expected) internal {
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.InvalidSignature.selector, expected));
        channel.withdraw(data, sigA, sigB);
        assertFalse(channel.isWithdrawalExecuted(channel.withdrawDigest(data)));
        assertEq(address(channel).balance, 10 ether);
        assertEq(channel.getTotalTransferred(ETH), 0);
    }

    function test_withdraw_acceptsBothPartiesSignatures() public {
        channel.withdraw(wd, aliceSig, bobSig);
        assertEq(carol.balance, 1 ether);
    }

    function test_withdraw_revertsWhenAmountAltered() public {
        WithdrawData memory forged = wd;
        forged.amount = 5 ether;
        expectRejected(forged, aliceSig, bobSig, alice);
    }

    function test_withdraw_revertsWhenRecipientAltered() public {
        WithdrawData memory forged = wd;
        forged.recipient = payable(makeAddr("mallory"));
        expectRejected(forged, aliceSig, bobSig, alice);
    }

    function test_withdraw_revertsWhenOnlyBobSignedTheForgery() public {
        WithdrawData memory forged = wd;
        forged.amount = 5 ether;
        expectRejected(forged, aliceSig, signWithdraw(bobKey, forged), alice);
    }

    function test_withdraw_revertsWhenOnlyAliceSignedTheForgery() public {
        WithdrawData memory forged = wd;
        forged.amount = 5 ether;
        expectRejected(forged, signWithdraw(aliceKey, forged), bobSig, bob);
    }

    function test_withdraw_revertsWhenSignaturesSwapped() public {
        expectRejected(wd, bobSig, aliceSig, alice);
    }

    function test_withdraw_revertsWhenAliceSignsBothSlots() public {
        expectRejected(wd, aliceSig, aliceSig, bob);
    }

    function test_withdraw_revertsWhenBobSignsBothSlots() public {
        expectRejected(wd, bobSig, bobSig, alice);
    }

    function test_withdraw_revertsWhenOutsiderSigns() public {
        (, uint256 malloryKey) = makeAddrAndKey("mallory");
        bytes memory mallorySig = signWithdraw(malloryKey, wd);
        expectRejected(wd, mallorySig, bobSig, alice);
        expectRejected(wd, aliceSig, mallorySig, bob);
    }

    /// @dev The same withdrawal signed in another channel's domain (other parties).
    function test_withdraw_revertsWhenSignedForAnotherChannel() public {
        (address carolParty, uint256 carolKey) = makeAddrAndKey("carolParty");
        (address daveParty, uint256 daveKey) = makeAddrAndKey("daveParty");
        IChannelMastercopy other = IChannelMastercopy(payable(factory.createChannel(carolParty, daveParty)));
        bytes32 otherDigest = other.withdrawDigest(wd);
        assertTrue(otherDigest != channel.withdrawDigest(wd));
        assertEq(otherDigest, expectedWithdrawDigest(wd, address(other), block.chainid));
        // Signed by the right parties, but in the other channel's domain...
        expectRejected(wd, sign(aliceKey, otherDigest), sign(bobKey, otherDigest), alice);
        // ...and by the other channel's parties.
        expectRejected(wd, sign(carolKey, otherDigest), sign(daveKey, otherDigest), alice);
    }

    function test_withdraw_revertsWhenCommitmentNamesAnotherChannel() public {
        address other = factory.createChannel(makeAddr("carolParty"), makeAddr("daveParty"));
        WithdrawData memory foreign = wd;
        foreign.channelAddress = other;
        bytes memory sigA = signWithdraw(aliceKey, foreign);
        bytes memory sigB = signWithdraw(bobKey, foreign);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.WrongChannel.selector, address(channel), other));
        channel.withdraw(foreign, sigA, sigB);
    }

    function test_withdraw_revertsWhenSignedForAnotherChain() public {
        uint256 chainId = block.chainid;
        vm.chainId(chainId + 1);
        bytes memory forkA = signWithdraw(aliceKey, wd);
        bytes memory forkB = signWithdraw(bobKey, wd);
        vm.chainId(chainId);
        expectRejected(wd, forkA, forkB, alice);
        expectRejected(wd, aliceSig, forkB, bob);
    }

    function test_withdraw_signaturesFromOldChainInvalidAfterFork() public {
        vm.chainId(block.chainid + 1);
        expectRejected(wd, aliceSig, bobSig, alice);
    }

    function test_withdraw_revertsOnMalformedSignatureLengths() public {
        bytes memory empty;
        (bytes32 r, bytes32 s, uint8 v) = split(aliceSig);
        // EIP-2098 (r, vs) form of alice's signature: valid elsewhere, not accepted here.
        bytes memory compact = abi.encodePacked(r, bytes32(uint256(s) | (uint256(v - 27) << 255)));
        bytes memory padded = abi.encodePacked(aliceSig, uint8(0));
        bytes memory truncated = abi.encodePacked(r, s);
        expectRejected(wd, empty, bobSig, alice);
        expectRejected(wd, compact, bobSig, alice);
        expectRejected(wd, padded, bobSig, alice);
        expectRejected(wd, truncated, bobSig, alice);
        expectRejected(wd, aliceSig, abi.encodePacked(bobSig, bytes32(0)), bob);
        expectRejected(wd, aliceSig, new bytes(65), bob);
    }

    function test_withdraw_revertsOnInvalidV() public {
        (bytes32 r, bytes32 s, uint8 v) = split(aliceSig);
        expectRejected(wd, abi.encodePacked(r, s, v - 27), bobSig, alice);
        expectRejected(wd, abi.encodePacked(r, s, uint8(29)), bobSig, alice);
    }

    /// @dev (r, n - s, v ^ 1) is the same signature for ecrecover; ECDSA must refuse it.
    function test_withdraw_revertsOnHighSMalleableSignature() public {
        bytes32 digest = channel.withdrawDigest(wd);
        (bytes32 r, bytes32 s, uint8 v) = split(aliceSig);
        bytes32 highS = bytes32(SECP256K1_N - uint256(s));
        uint8 flippedV = v == 27 ? 28 : 27;
        assertEq(ecrecover(digest, flippedV, r, highS), alice, "malleated signature recovers to alice");
        expectRejected(wd, abi.encodePacked(r, highS, flippedV), bobSig, alice);

        (r, s, v) = split(bobSig);
        expectRejected(wd, aliceSig, abi.encodePacked(r, bytes32(SECP256K1_N - uint256(s)), v == 27 ? 28 : 27), bob);
    }

    // ---------------------------------------------------------------- fuzz

    /// @dev Any key but alice's fails in alice's slot, any key but bob's in bob's slot.
    function testFuzz_withdraw_revertsForRandomSignerKeys(uint256 key, bool bobSlot) public {
        key = bound(key, 1, SECP256K1_N - 1);
        vm.assume(key != aliceKey && key != bobKey);
        bytes memory sig = signWithdraw(key, wd);
        if (bobSlot) expectRejected(wd, aliceSig, sig, bob);
        else expectRejected(wd, sig, bobSig, alice);
    }

    /// @dev A random key may be a party's only if it is that party's.
    function testFuzz_withdraw_onlyPartyKeysPass(uint256 keyA, uint256 keyB) public {
        keyA = bound(keyA, 1, SECP256K1_N - 1);
        keyB = bound(keyB, 1, SECP256K1_N - 1);
        if (keyA % 4 == 0) keyA = aliceKey; // also exercise the passing case
        if (keyB % 4 == 0) keyB = bobKey;
        bytes memory sigA = signWithdraw(keyA, wd);
        bytes memory sigB = signWithdraw(keyB, wd);
        if (keyA != aliceKey) {
            expectRejected(wd, sigA, sigB, alice);
        } else if (keyB != bobKey) {
            expectRejected(wd, sigA, sigB, bob);
        } else {
            channel.withdraw(wd, sigA, sigB);
            assertEq(carol.balance, 1 ether);
        }
    }

    function testFuzz_withdraw_revertsForRandomSignatureBytes(bytes memory junk) public {
        expectRejected(wd, junk, bobSig, alice);
    }

    function testFuzz_withdraw_revertsForOtherChainId(uint64 chainId) public {
        vm.assume(chainId != block.chainid);
        uint256 current = block.chainid;
        vm.chainId(chainId);
        bytes memory sigA = signWithdraw(aliceKey, wd);
        bytes memory sigB = signWithdraw(bobKey, wd);
        vm.chainId(current);
        expectRejected(wd, sigA, sigB, alice);
    }
}
